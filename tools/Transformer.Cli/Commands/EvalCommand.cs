using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Cli.Eval;
using Transformer.Runtime;
using Transformer.Runtime.Evaluation;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer eval ppl</c>: perplexity of a model on a text, scored as llama.cpp's perplexity tool scores it;
/// <c>transformer eval kld</c>: a candidate's distributions against a base model's (or a saved base file), with
/// llama.cpp's KL-divergence statistics block.
/// </summary>
public static class EvalCommand
{
    /// <summary>Builds the command and its two subcommands.</summary>
    public static Command Create(CliContext context) =>
        new("eval", "Evaluate models on a text: perplexity (ppl) and distribution shift against a base model (kld)")
        {
            Perplexity(context),
            KlDivergence(context),
        };

    private sealed record Shared(Option<string> Data, Option<int> Context, Option<int?> Stride, Option<string> Tokenizer, Option<int> Threads,
        Option<string> Isa, Option<string> Device, Option<bool> Json);

    private static Shared SharedOptions() => new(
        new Option<string>("--data") { Description = "UTF-8 text file to evaluate on", Required = true, HelpName = "FILE" },
        NumberOptions.Int("--ctx", ["-c"], "Tokens per evaluation window", defaultValue: 512, min: 4),
        NumberOptions.OptionalInt("--stride", [], "Tokens between window starts; default: the context (disjoint windows)", helpName: "S"),
        CommonOptions.Tokenizer(),
        CommonOptions.Threads(),
        KernelOptions.Isa(allowAll: false),
        DeviceOption.Create(allowList: false, DeviceOption.Auto),
        new Option<bool>("--json") { Description = "Print a JSON object instead of the report" });

    private static Command Perplexity(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Model: {ModelArgument.Forms}; default: the bundled {DefaultModel.Name}");
        var quant = KernelOptions.Quant();
        var o = SharedOptions();
        var command = new Command("ppl", "Perplexity on a text: windows of --ctx tokens, BOS first, the second half of each window scored (llama.cpp's method)")
        {
            model, quant, o.Data, o.Context, o.Stride, o.Tokenizer, o.Threads, o.Isa, o.Device, o.Json,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            using var selection = BackendSelection.Create(parsed.GetValue(o.Device)!, parsed.GetValue(o.Isa), parsed.GetValue(o.Threads));
            using var language = Load(modelPath, parsed.GetValue(quant)!, parsed.GetValue(o.Tokenizer), selection);
            var (tokens, chunks) = Prepare(language, parsed, o);
            var progress = new EvalProgress(context.Error, chunks.Windows(tokens.Count), chunks.Context - 1, context.ErrorIsTerminal);
            var nll = PerplexityScorer.Score(language.Model, tokens, BosOf(language), chunks, progress, cancellation)
                .Select(p => -p.LogProbability).ToList();
            var result = PerplexityResult.From(nll, chunks.Windows(tokens.Count));
            if (parsed.GetValue(o.Json))
                context.Out.WriteLine(JsonSerializer.Serialize(EvalReport.Json(result, chunks, tokens.Count, progress.TokensPerSecond(result.Chunks)), EvalJsonContext.Default.PerplexityJson));
            else
                context.Out.WriteLine(EvalReport.PerplexityLine(result, chunks));
            return 0;
        });
        return command;
    }

    private static Command KlDivergence(CliContext context)
    {
        var model = CommonOptions.Model(required: false, "Candidate model (not needed with --save-base)");
        var quant = KernelOptions.Quant();
        var baseModel = new Option<string>("--base")
        {
            Description = "Base model (a folder or file as --model takes), or a base file written by --save-base",
            Required = true,
            HelpName = "MODEL|FILE",
        };
        var baseQuant = new Option<string>("--base-quant") { Description = "Weights of the base model: f32 or int8", DefaultValueFactory = _ => "f32", HelpName = "Q" };
        baseQuant.AcceptOnlyFromAmong("f32", "int8");
        var saveBase = new Option<string?>("--save-base") { Description = "Write the base model's distributions to FILE and stop, to compare many candidates later", HelpName = "FILE" };
        var topK = NumberOptions.Int("--top-k", [], "Size of the top-k sets whose overlap is reported", defaultValue: 10, min: 1);
        var o = SharedOptions();
        var command = new Command("kld", "KL divergence, perplexity ratio and token-probability change of a candidate against a base model (llama.cpp's statistics)")
        {
            model, quant, baseModel, baseQuant, saveBase, topK, o.Data, o.Context, o.Stride, o.Tokenizer, o.Threads, o.Isa, o.Device, o.Json,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string basePath = parsed.GetValue(baseModel)!;
            using var selection = BackendSelection.Create(parsed.GetValue(o.Device)!, parsed.GetValue(o.Isa), parsed.GetValue(o.Threads));
            if (parsed.GetValue(saveBase) is { } savePath)
            {
                using var baseLanguage = Load(await ModelArgument.ResolveAsync(basePath, context, cancellation).ConfigureAwait(false),
                    parsed.GetValue(baseQuant)!, parsed.GetValue(o.Tokenizer), selection);
                var (baseTokens, baseChunks) = Prepare(baseLanguage, parsed, o);
                var progress = new EvalProgress(context.Error, baseChunks.Windows(baseTokens.Count), baseChunks.Context - 1, context.ErrorIsTerminal);
                using var file = File.Create(savePath);
                int written = BaseDistributionFile.Write(file, baseLanguage.Config.VocabSize, baseChunks, baseTokens,
                    PerplexityScorer.Score(baseLanguage.Model, baseTokens, BosOf(baseLanguage), baseChunks, progress, cancellation));
                context.Out.WriteLine($"wrote {savePath}: {written} positions of {baseLanguage.Config.VocabSize} log-probabilities");
                return 0;
            }

            string candidatePath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            using var candidate = Load(candidatePath, parsed.GetValue(quant)!, parsed.GetValue(o.Tokenizer), selection);
            var (tokens, chunks) = Prepare(candidate, parsed, o);
            int windows = chunks.Windows(tokens.Count);
            var comparison = new DistributionComparison(parsed.GetValue(topK));
            var candidateRows = PerplexityScorer.Score(candidate.Model, tokens, BosOf(candidate), chunks,
                new EvalProgress(context.Error, windows, chunks.Context - 1, context.ErrorIsTerminal), cancellation);
            if (BaseDistributionFile.Recognizes(basePath))
            {
                using var file = File.OpenRead(basePath);
                using var baseRows = BaseDistributionFile.Read(file, basePath, candidate.Config.VocabSize, chunks, tokens).GetEnumerator();
                foreach (var row in candidateRows)
                {
                    if (!baseRows.MoveNext()) throw new InvalidDataException($"{basePath}: ends before position {comparison.Count}");
                    Compare(comparison, baseRows.Current.LogProbabilities, row);
                }
                if (baseRows.MoveNext()) throw new InvalidDataException($"{basePath}: holds more positions than this run scores ({comparison.Count})");
            }
            else
            {
                using var baseLanguage = Load(await ModelArgument.ResolveAsync(basePath, context, cancellation).ConfigureAwait(false),
                    parsed.GetValue(baseQuant)!, parsed.GetValue(o.Tokenizer), selection);
                if (baseLanguage.Config.VocabSize != candidate.Config.VocabSize)
                    throw new ArgumentException($"the base has a vocabulary of {baseLanguage.Config.VocabSize}, the candidate {candidate.Config.VocabSize}: KL needs the same tokenizer");
                var baseTokens = Encode(baseLanguage, parsed.GetValue(o.Data)!);
                if (!baseTokens.SequenceEqual(tokens)) throw new ArgumentException("the base and the candidate tokenize the text differently: KL needs the same tokenizer");
                using var baseRows = PerplexityScorer.Score(baseLanguage.Model, tokens, BosOf(baseLanguage), chunks, null, cancellation).GetEnumerator();
                foreach (var row in candidateRows)
                {
                    baseRows.MoveNext();
                    Compare(comparison, baseRows.Current.LogProbabilities.Span, row);
                }
            }
            var statistics = comparison.Summarize(windows);
            if (parsed.GetValue(o.Json))
                context.Out.WriteLine(JsonSerializer.Serialize(EvalReport.Json(statistics), EvalJsonContext.Default.KlDivergenceJson));
            else
                foreach (string line in EvalReport.KlBlock(statistics)) context.Out.WriteLine(line);
            return 0;
        });
        return command;
    }

    private static void Compare(DistributionComparison comparison, ReadOnlySpan<float> baseRow, ScoredPosition candidate) =>
        comparison.Add(baseRow, candidate.LogProbabilities.Span, candidate.NextToken);

    private static LanguageModel Load(string path, string quant, string? tokenizer, BackendSelection selection) =>
        LanguageModel.Load(path, new LanguageModelOptions
        {
            TokenizerPath = tokenizer,
            Backend = selection.Backend,
            Model = new ModelOptions { WeightFormat = KernelOptions.Format(quant) },
        });

    private static (IReadOnlyList<int> Tokens, TextChunks Chunks) Prepare(LanguageModel language, ParseResult parsed, Shared o)
    {
        var tokens = Encode(language, parsed.GetValue(o.Data)!);
        int ctx = parsed.GetValue(o.Context);
        var chunks = new TextChunks { Context = ctx, Stride = parsed.GetValue(o.Stride) ?? ctx };
        chunks.Validate(tokens.Count, language.Model.MaxSequenceLength);
        return (tokens, chunks);
    }

    private static IReadOnlyList<int> Encode(LanguageModel language, string dataPath)
    {
        if (!File.Exists(dataPath)) throw new FileNotFoundException($"{dataPath}: no such data file", dataPath);
        return language.Encode(File.ReadAllText(dataPath), addBos: true);
    }

    private static int BosOf(LanguageModel language) =>
        language.Tokenizer.BosId ?? throw new ArgumentException("the tokenizer has no BOS token, which every evaluation window starts with");
}
