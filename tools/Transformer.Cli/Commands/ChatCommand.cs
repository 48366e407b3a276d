using System.CommandLine;
using Transformer.ChatTemplates;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Runtime;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;
using Transformer.Text.Chat;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer chat</c>: an interactive chat in the terminal. Reads the user's turns from stdin, one per
/// line, until end of input or <c>/exit</c>; renders the whole conversation with the model's chat template,
/// streams each reply to stdout (then a newline) and keeps it in the history; one timing line per reply on
/// stderr, as <c>run</c> prints.
/// </summary>
public static class ChatCommand
{
    /// <summary>The line that ends the chat.</summary>
    public const string ExitCommand = "/exit";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true, "Model folder or file (safetensors folder, *.safetensors, llama2.c *.bin)");
        var chatTemplate = ChatOptions.ChatTemplate();
        var system = new Option<string>("--system") { Description = "A system message to start the conversation with", HelpName = "TEXT" };
        // The sampling options mirror run's (same names, defaults and ranges).
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate per reply", DefaultValueFactory = _ => 256, HelpName = "N" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy", DefaultValueFactory = _ => 1f, HelpName = "T" };
        var topK = new Option<int>("--top-k") { Description = "Sample from the K most likely tokens; 0 keeps all", DefaultValueFactory = _ => 0, HelpName = "K" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling: smallest set reaching probability P; 1 keeps all", DefaultValueFactory = _ => 1f, HelpName = "P" };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens less likely than P × the top probability; 0 keeps all", DefaultValueFactory = _ => 0f, HelpName = "P" };
        var repetitionPenalty = new Option<float>("--repetition-penalty") { Description = "Penalty on tokens already in the context; 1 is off", DefaultValueFactory = _ => 1f, HelpName = "R" };
        var seed = new Option<int>("--seed", "-s") { Description = "Random seed; the same seed gives the same replies. Default: a fresh seed", HelpName = "S" };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);

        Require(maxTokens, n => n >= 0, "--max-tokens must be ≥ 0");
        Require(temperature, t => t >= 0 && float.IsFinite(t), "--temperature must be a finite value ≥ 0");
        Require(topK, k => k >= 0, "--top-k must be ≥ 0");
        Require(topP, p => p > 0 && p <= 1, "--top-p must be in (0, 1]");
        Require(minP, p => p >= 0 && p <= 1, "--min-p must be in [0, 1]");
        Require(repetitionPenalty, r => r > 0 && float.IsFinite(r), "--repetition-penalty must be a finite value > 0");

        var command = new Command("chat", $"Chat with a model in the terminal: one user turn per line on stdin, until end of input or {ExitCommand}")
        {
            model, chatTemplate, system, maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, tokenizer, threads, quant, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = parsed.GetValue(model)!;
            // The template is checked before the weights load, so a model without one fails at once.
            ModelChatTemplate template = ChatOptions.FindTemplate(modelPath, parsed.GetValue(chatTemplate));
            var generation = new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxTokens),
                Sampling = new SamplingOptions
                {
                    Temperature = parsed.GetValue(temperature),
                    TopK = parsed.GetValue(topK),
                    TopP = parsed.GetValue(topP),
                    MinP = parsed.GetValue(minP),
                    RepetitionPenalty = parsed.GetValue(repetitionPenalty),
                    Seed = parsed.GetResult(seed) is null ? null : parsed.GetValue(seed),
                },
            };
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            using var languageModel = LanguageModel.Load(modelPath, new LanguageModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
            });

            var session = new ChatSession(languageModel, template, parsed.GetValue(system) is { } text ? [ChatMessage.System(text)] : []);
            while (true)
            {
                if (context.ErrorIsTerminal) context.Error.Write("> ");
                string? line = await context.Input.ReadLineAsync(cancellation).ConfigureAwait(false);
                if (line is null || line.Trim() == ExitCommand) break;
                if (line.Trim().Length == 0) continue;

                var stats = new GenerationStats();
                await foreach (string piece in session.SendAsync(line, generation, stats, cancellation).ConfigureAwait(false))
                    context.Out.Write(piece);
                context.Out.Write("\n");
                context.Error.WriteLine(RunCommand.TimingLine(stats, selection.Backend.Description));
            }

            return 0;
        });
        return command;
    }

    private static void Require<T>(Option<T> option, Func<T, bool> isValid, string message) =>
        option.Validators.Add(result =>
        {
            // A value that does not parse already has its own error; only parsed values are range-checked.
            T value;
            try
            {
                value = result.GetValueOrDefault<T>()!;
            }
            catch (InvalidOperationException)
            {
                return;
            }

            if (!isValid(value)) result.AddError(message);
        });
}
