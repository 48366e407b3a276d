using Transformer.ChatTemplates;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer chat</c> end to end on stdin, against stories260K with the ChatML template.</summary>
public sealed class ChatCommandTests
{
    [Fact]
    public async Task Each_reply_is_the_greedy_continuation_of_the_whole_conversation_rendered_with_the_template()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var result = await CliRun.InvokeWithInputAsync("Hello there\n\nWhat is your name?\n/exit\nnever read\n",
            "chat", "--model", SharedModels.Stories260K, "--chat-template", ChatFiles.ChatML, "--temperature", "0", "--max-tokens", "24");

        // The same conversation computed directly: the ChatML prompt of the history so far, continued greedily
        // (ChatML writes no BOS, so the tokenizer's is added once).
        var template = ChatTemplate.Parse(File.ReadAllText(ChatFiles.ChatML));
        using var model = LanguageModel.Load(SharedModels.Stories260K);
        var options = new GenerationOptions { MaxNewTokens = 24, Sampling = SamplingOptions.Greedy };
        var history = new List<ChatMessage> { ChatMessage.User("Hello there") };
        string first = model.Complete(Render(template, history), options, cancellation: TestContext.Current.CancellationToken);
        history.AddRange([ChatMessage.Assistant(first), ChatMessage.User("What is your name?")]);
        string second = model.Complete(Render(template, history), options, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(0, result.ExitCode);
        Assert.NotEqual(first, second);
        Assert.Equal(first + "\n" + second + "\n", result.Output);
        Assert.Equal(2, result.ErrorLines.Length);
        Assert.All(result.ErrorLines, line => Assert.Matches(@"^prompt: \d+ tokens, .* generated: \d+ tokens", line));
    }

    [Fact]
    public async Task The_history_grows_by_each_turn_so_the_second_prompt_is_longer()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var result = await CliRun.InvokeWithInputAsync("Hi\nHi\n",
            "chat", "--model", SharedModels.Stories260K, "--chat-template", ChatFiles.ChatML, "--temperature", "0", "--max-tokens", "8", "--system", "You tell stories.");

        Assert.Equal(0, result.ExitCode);
        int[] promptTokens = [.. result.ErrorLines.Select(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(2, promptTokens.Length);
        Assert.True(promptTokens[1] > promptTokens[0] + 8, $"prompt sizes {promptTokens[0]} then {promptTokens[1]}");
    }

    [Fact]
    public async Task Without_a_template_the_chat_fails_with_a_clear_error_before_loading_weights()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var result = await CliRun.InvokeWithInputAsync("Hello\n", "chat", "--model", SharedModels.Stories260K);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: the model has no chat template (" + SharedModels.Stories260K + ": no chat_template.jinja, and no tokenizer_config.json); pass one with --chat-template FILE",
            Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Empty_input_ends_the_chat_at_once()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var result = await CliRun.InvokeWithInputAsync("", "chat", "--model", SharedModels.Stories260K, "--chat-template", ChatFiles.ChatML);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StandardOutput);
    }

    [Fact]
    public async Task Bad_sampling_options_are_usage_errors()
    {
        var result = await CliRun.InvokeWithInputAsync("", "chat", "--model", "m", "--top-p", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--top-p must be in (0, 1]", result.StandardError);
    }

    private static string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages) =>
        template.Render(new ChatTemplateInput { Messages = messages, AddGenerationPrompt = true }, TestContext.Current.CancellationToken);
}
