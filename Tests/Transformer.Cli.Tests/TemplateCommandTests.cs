using System.Text.Json.Nodes;
using Transformer.ChatTemplates;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer template</c> prints a chat request's rendered prompt exactly, or one error line.</summary>
public sealed class TemplateCommandTests
{
    private const string Request = """
        {"model": "x", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Grüße 😀"}],
         "tools": [{"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}],
         "chat_template_kwargs": {"enable_thinking": false}}
        """;

    [Fact]
    public async Task Prints_the_prompt_of_a_folder_holding_only_tokenizer_files_exactly()
    {
        using var folder = new ScratchFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"}""");
        string messages = folder.Write("request.json", Request);

        var withPrompt = await CliRun.InvokeAsync("template", "--model", folder.Path, "--messages", messages, "--add-generation-prompt");
        var without = await CliRun.InvokeAsync("template", "--model", folder.Path, "--messages", messages);

        Assert.Equal(0, withPrompt.ExitCode);
        Assert.Equal("[system] Be brief.\n[user] Grüße 😀\n[assistant]", withPrompt.Output);
        Assert.Equal("[system] Be brief.\n[user] Grüße 😀\n", without.Output);
        Assert.Empty(withPrompt.StandardError);
    }

    [Fact]
    public async Task Renders_qwen3s_real_template_with_tools_and_kwargs_as_the_library_does()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("qwen3"), ChatTemplatePackages.SkipReason("qwen3"));
        using var folder = new ScratchFolder();
        string messages = folder.Write("request.json", Request);
        string model = ChatTemplatePackages.ModelsFolder("qwen3");

        var result = await CliRun.InvokeAsync("template", "--model", model, "--messages", messages, "--add-generation-prompt");

        string expected = ChatTemplateLoader.Find(model).Require().Render(ChatRequest.Parse(Request), addGenerationPrompt: true, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Output);
        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"now\"", result.Output);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", result.Output);
    }

    [Fact]
    public async Task The_chat_template_option_replaces_the_models_template()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var folder = new ScratchFolder();
        string messages = folder.Write("request.json", Request);

        var result = await CliRun.InvokeAsync("template", "--model", SharedModels.Stories260K, "--chat-template", ChatFiles.ChatML, "--messages", messages);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nGrüße 😀<|im_end|>\n", result.Output);
    }

    [Fact]
    public async Task A_model_without_a_template_is_one_error_line_saying_how_to_give_one()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var folder = new ScratchFolder();
        string messages = folder.Write("request.json", Request);

        var result = await CliRun.InvokeAsync("template", "--model", SharedModels.Stories260K, "--messages", messages);

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: the model has no chat template", line);
        Assert.EndsWith("pass one with --chat-template FILE", line);
        Assert.Empty(result.StandardOutput);
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user"}], "chat_template_kwargs": 3}""", "request.json: chat_template_kwargs must be an object, not a number")]
    [InlineData("""{"messages": [{"content": "x"}]}""", "request.json: messages[0].role is required")]
    [InlineData("""{"messages": """, "request.json: not valid JSON")]
    public async Task A_malformed_request_file_is_one_error_line_naming_file_and_field(string body, string expected)
    {
        using var folder = new ScratchFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "x"}""");
        string messages = folder.Write("request.json", body);

        var result = await CliRun.InvokeAsync("template", "--model", folder.Path, "--messages", messages);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task A_template_error_is_one_error_line_with_its_line_number()
    {
        using var folder = new ScratchFolder();
        folder.Write("tokenizer_config.json", new JsonObject { ["chat_template"] = "ok\n{{ raise_exception('no system messages') if messages[0].role == 'system' }}" }.ToJsonString());
        string messages = folder.Write("request.json", Request);

        var result = await CliRun.InvokeAsync("template", "--model", folder.Path, "--messages", messages);

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.Contains("line 2, column 4: the chat template raised an error: no system messages", line);
    }

    [Fact]
    public async Task Missing_files_are_errors_naming_them()
    {
        using var folder = new ScratchFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "x"}""");

        var noMessages = await CliRun.InvokeAsync("template", "--model", folder.Path, "--messages", Path.Combine(folder.Path, "absent.json"));
        var noModel = await CliRun.InvokeAsync("template", "--model", Path.Combine(folder.Path, "nope"), "--messages", "x.json");
        var noTemplate = await CliRun.InvokeAsync("template", "--model", folder.Path, "--chat-template", "missing.jinja", "--messages", "x.json");

        Assert.Equal((1, 1, 1), (noMessages.ExitCode, noModel.ExitCode, noTemplate.ExitCode));
        Assert.Contains("absent.json: no such file", noMessages.StandardError);
        Assert.Contains("nope: no such model folder or file", noModel.StandardError);
        Assert.Contains("missing.jinja: no such chat template file", noTemplate.StandardError);
    }
}
