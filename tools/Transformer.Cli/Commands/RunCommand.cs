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
        var model = CommonOptions.Model(required: false,
            $"Model folder or file (safetensors folder, *.safetensors, llama2.c *.bin); default: {DefaultModel.Files} from the Hugging Face Hub");
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue", DefaultValueFactory = _ => "", HelpName = "TEXT" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate after the prompt", DefaultValueFactory = _ => 256, HelpName = "N" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy", DefaultValueFactory = _ => 1f, HelpName = "T" };
        var topK = new Option<int>("--top-k") { Description = "Sample from the K most likely tokens; 0 keeps all", DefaultValueFactory = _ => 0, HelpName = "K" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling: smallest set reaching probability P; 1 keeps all", DefaultValueFactory = _ => 1f, HelpName = "P" };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens less likely than P × the top probability; 0 keeps all", DefaultValueFactory = _ => 0f, HelpName = "P" };
        var repetitionPenalty = new Option<float>("--repetition-penalty") { Description = "Penalty on tokens already in the context; 1 is off", DefaultValueFactory = _ => 1f, HelpName = "R" };
        var seed = new Option<int>("--seed", "-s") { Description = "Random seed; the same seed gives the same text. Default: a fresh seed", HelpName = "S" };
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

        var command = new Command("run", "Generate text after a prompt; prints the prompt and its continuation as llama2.c's run does")
        {
            model, prompt, maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, tokenizer, threads, quant, isa, device,
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
                    Seed = parsed.GetResult(seed) is null ? null : parsed.GetValue(seed),
                },
            };
            string modelPath = parsed.GetValue(model) ?? await DefaultModel.EnsureAsync(context, cancellation).ConfigureAwait(false);
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
            context.Error.WriteLine(TimingLine(stats, selection.Backend.Description));
            return 0;
        });
        return command;
    }

    /// <summary>The stderr summary: <c>prompt: 5 tokens, 1234.5 tok/s; generated: 64 tokens, 987.6 tok/s; device: cpu ...</c>.</summary>
    public static string TimingLine(GenerationStats stats, string device) => string.Create(CultureInfo.InvariantCulture,
        $"prompt: {stats.PromptTokens} tokens, {stats.PromptTokensPerSecond:F1} tok/s; generated: {stats.GeneratedTokens} tokens, {stats.GeneratedTokensPerSecond:F1} tok/s; device: {device}");

    private static void Require<T>(Option<T> option, Func<T, bool> isValid, string message) =>
        option.Validators.Add(result =>
        {
            // A value that does not parse already has its own error; only parsed values are range-checked.
            if (TryGetValue(result, out T value) && !isValid(value)) result.AddError(message);
        });

    private static bool TryGetValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
