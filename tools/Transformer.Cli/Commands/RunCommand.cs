using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Runtime;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer run</c>: generates text after a prompt and prints exactly what llama2.c's <c>run</c> prints
/// (the prompt, then the continuation) on stdout, and one timing line on stderr.
/// </summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Model: {ModelArgument.Forms}; default: the bundled {DefaultModel.Name}");
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue", DefaultValueFactory = _ => "", HelpName = "TEXT" };
        var maxTokens = NumberOptions.Int("--max-tokens", ["-n"], "Most tokens to generate after the prompt", defaultValue: 256, min: 0);
        var temperature = NumberOptions.Float("--temperature", ["--temp"], "Sampling temperature; 0 is greedy", 1f,
            t => t >= 0 && float.IsFinite(t), "a finite value ≥ 0", "T");
        var topK = NumberOptions.Int("--top-k", [], "Sample from the K most likely tokens; 0 keeps all", defaultValue: 0, min: 0, helpName: "K");
        var topP = NumberOptions.Float("--top-p", [], "Nucleus sampling: smallest set reaching probability P; 1 keeps all", 1f,
            p => p > 0 && p <= 1, "in (0, 1]", "P");
        var minP = NumberOptions.Float("--min-p", [], "Drop tokens less likely than P × the top probability; 0 keeps all", 0f,
            p => p >= 0 && p <= 1, "in [0, 1]", "P");
        var repetitionPenalty = NumberOptions.Float("--repetition-penalty", ["--repeat-penalty"], "Penalty on tokens already in the context; 1 is off", 1f,
            r => r > 0 && float.IsFinite(r), "a finite value > 0", "R");
        var frequencyPenalty = NumberOptions.Float("--frequency-penalty", [], "Subtracted from a token's logit once per occurrence in the context; 0 is off", 0f,
            f => f >= -2 && f <= 2, "in [-2, 2]", "F");
        var presencePenalty = NumberOptions.Float("--presence-penalty", [], "Subtracted from the logit of every token the context holds; 0 is off", 0f,
            p => p >= -2 && p <= 2, "in [-2, 2]", "P");
        var seed = NumberOptions.OptionalInt("--seed", ["-s"], "Random seed; the same seed gives the same text. Default: a fresh seed", helpName: "S");
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);

        var command = new Command("run", "Generate text after a prompt; prints the prompt and its continuation as llama2.c's run does")
        {
            model, prompt, maxTokens, temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty, presencePenalty, seed, tokenizer,
            threads, quant, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            var generation = new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxTokens),
                EchoPrompt = true,
                Sampling = new SamplingOptions
                {
                    Temperature = parsed.GetValue(temperature),
                    TopK = parsed.GetValue(topK),
                    TopP = parsed.GetValue(topP),
                    MinP = parsed.GetValue(minP),
                    RepetitionPenalty = parsed.GetValue(repetitionPenalty),
                    FrequencyPenalty = parsed.GetValue(frequencyPenalty),
                    PresencePenalty = parsed.GetValue(presencePenalty),
                    Seed = parsed.GetValue(seed),
                },
            };
            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            // The CLI creates the backend itself so --device and --isa reach it; it outlives the model (disposed after it).
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            using var languageModel = LanguageModel.Load(modelPath, new LanguageModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
            });

            string text = parsed.GetValue(prompt) ?? "";
            var stats = new GenerationStats();
            await foreach (string piece in languageModel.GenerateAsync(text, generation, stats, cancellation).ConfigureAwait(false))
                context.Out.Write(piece);
            // Otherwise a story cut off by the context would look like one the model chose to end there.
            if (stats.StopReason == StopReason.ContextFull)
                context.Error.WriteLine($"stopped: context full at {languageModel.Model.MaxSequenceLength} tokens");
            context.Error.WriteLine(TimingLine(stats, selection.Backend.Description));
            return 0;
        });
        return command;
    }

    /// <summary>The stderr summary: <c>prompt: 5 tokens, 1234.5 tok/s; generated: 64 tokens, 987.6 tok/s; device: cpu ...</c>.</summary>
    public static string TimingLine(GenerationStats stats, string device) => string.Create(CultureInfo.InvariantCulture,
        $"prompt: {stats.PromptTokens} tokens, {stats.PromptTokensPerSecond:F1} tok/s; generated: {stats.GeneratedTokens} tokens, {stats.GeneratedTokensPerSecond:F1} tok/s; device: {device}");
}
