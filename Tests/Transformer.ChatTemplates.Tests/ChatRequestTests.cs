using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Tests;

/// <summary>Reading messages, tools and chat_template_kwargs from an OpenAI chat request body.</summary>
public sealed class ChatRequestTests
{
    [Fact]
    public void Messages_tools_and_kwargs_are_read_as_sent()
    {
        var request = ChatRequest.Parse("""
            {"model": "m", "messages": [
               {"role": "system", "content": "s"},
               {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "name": "ann"},
               {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
               {"role": "tool", "content": "42", "tool_call_id": "c1"},
               {"role": "assistant", "content": "ok", "reasoning_content": "because"}],
             "tools": [{"type": "function", "function": {"name": "f"}}],
             "chat_template_kwargs": {"enable_thinking": false}}
            """);

        Assert.Equal(5, request.Messages.Count);
        Assert.Equal(["a", "b"], request.Messages[1].ContentParts);
        Assert.Equal("ann", request.Messages[1].Name);
        Assert.Equal("", request.Messages[2].Content);
        var call = Assert.Single(request.Messages[2].ToolCalls!);
        Assert.Equal(("c1", "f", "{\"x\": 1}"), (call.Id, call.Name, (string?)call.Arguments));
        Assert.Equal("c1", request.Messages[3].ToolCallId);
        Assert.Equal("because", request.Messages[4].ReasoningContent);
        Assert.Single(request.Tools!);
        Assert.False((bool)request.TemplateKwargs!["enable_thinking"]!);
    }

    [Fact]
    public void A_message_becomes_the_templates_dict_in_openai_shape()
    {
        var message = new ChatMessage
        {
            Role = "assistant",
            Content = "x",
            ToolCalls = [new ChatToolCall { Id = "c", Name = "f", Arguments = new JsonObject { ["a"] = 1 } }],
        };

        Assert.Equal("""{"role":"assistant","content":"x","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]}""",
            message.ToJson().ToJsonString());
    }

    [Theory]
    [InlineData("[]", "", "must be a JSON object")]
    [InlineData("{", "", "not valid JSON")]
    [InlineData("""{}""", "messages", "messages is required")]
    [InlineData("""{"messages": {}}""", "messages", "messages must be an array, not an object")]
    [InlineData("""{"messages": []}""", "messages", "at least one message")]
    [InlineData("""{"messages": [3]}""", "messages[0]", "messages[0] must be an object, not a number")]
    [InlineData("""{"messages": [{"content": "x"}]}""", "messages[0].role", "messages[0].role is required")]
    [InlineData("""{"messages": [{"role": 1}]}""", "messages[0].role", "must be a string, not a number")]
    [InlineData("""{"messages": [{"role": "user", "content": 5}]}""", "messages[0].content", "must be a string, a list of text parts or null")]
    [InlineData("""{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}""", "messages[0].content[0].type", "only \"text\" parts are supported, not \"image_url\"")]
    [InlineData("""{"messages": [{"role": "assistant", "tool_calls": [{"type": "function"}]}]}""", "messages[0].tool_calls[0].function", "must be an object")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}], "tools": {}}""", "tools", "tools must be an array")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}], "tools": ["f"]}""", "tools[0]", "must be an object, not a string")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}], "chat_template_kwargs": []}""", "chat_template_kwargs", "must be an object, not an array")]
    public void A_malformed_request_names_the_field(string body, string field, string problem)
    {
        var error = Assert.Throws<ChatRequestException>(() => ChatRequest.Parse(body));

        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_long_part_type_is_quoted_capped()
    {
        string type = new('x', 500);

        var error = Assert.Throws<ChatRequestException>(() => ChatRequest.Parse($$"""{"messages": [{"role": "user", "content": [{"type": "{{type}}"}]}]}"""));

        Assert.True(error.Message.Length < 150, error.Message);
    }
}
