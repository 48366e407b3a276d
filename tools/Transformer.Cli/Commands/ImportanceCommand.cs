using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Cli.Pruning;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Runtime.Evaluation;
using Transformer.Runtime.Pruning;
using Transformer.Tokenizers;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer importance</c>: the forward-only pruning signals of a model on calibration text (Block Influence,
/// angular distance, perplexity without each layer, head, neuron and channel statistics, Wanda's input norms), written as
/// the JSON that <c>transformer prune</c> reads; the per-layer table and the BI/PPL rank correlation go to stdout.
/// </summary>
public static class ImportanceCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Model (a Hugging Face folder of the Llama family, or {ModelArgument.Forms}); default: the bundled {DefaultModel.Name}");
        var data = new Option<string>("--data") { Description = "UTF-8 calibration text (tokenized as eval ppl tokenizes it)", Required = true, HelpName = "CAL.txt" };
        var samples = NumberOptions.Int("--samples", [], "Calibration windows (fewer when the text runs out)", defaultValue: 1024, min: 1);
        var ctx = NumberOptions.Int("--ctx", ["-c"], "Tokens per window", defaultValue: 256, min: 4);
        var output = new Option<string>("--out", "-o") { Description = "Where to write the statistics (JSON)", Required = true, HelpName = "stats.json" };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);
        var command = new Command("importance", "Pruning signals on calibration text: Block Influence, angular distance and PPL without each layer; head, neuron, channel and Wanda statistics")
        {
            model, data, samples, ctx, output, tokenizer, threads, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            using var files = ModelFiles.Open(modelPath);
            var text = TokenizerLocator.Load(files.Directory, parsed.GetValue(tokenizer), files.Config.VocabSize);
            int bos = text.BosId ?? throw new ArgumentException("the tokenizer has no BOS token, which every calibration window starts with");
            int window = parsed.GetValue(ctx);
            var chunks = new TextChunks { Context = window, Stride = window };
            var tokens = CalibrationText.Read(parsed.GetValue(data)!, text, parsed.GetValue(samples) * window);
            chunks.Validate(tokens.Count, files.Config.MaxPositions);
            var progress = new StageProgress(context.Error);
            var statistics = ImportanceAnalysis.Measure(Path.GetFullPath(modelPath), files.Config, files.Weights, selection.Backend, new ModelOptions(),
                tokens, bos, chunks, progress, cancellation);
            string outPath = parsed.GetValue(output)!;
            File.WriteAllText(outPath, JsonSerializer.Serialize(statistics, ImportanceJson.Default.ImportanceStatistics) + "\n");
            foreach (string line in Report(statistics)) context.Out.WriteLine(line);
            context.Out.WriteLine($"wrote {outPath}");
            return 0;
        });
        return command;
    }

    /// <summary>The per-layer table, the rank correlation and the orders it compares.</summary>
    public static IEnumerable<string> Report(ImportanceStatistics s)
    {
        var ci = CultureInfo.InvariantCulture;
        yield return string.Create(ci, $"{s.Samples} windows of {s.Context} tokens, {s.Tokens} positions; PPL {s.Perplexity:F4}");
        yield return "layer  block_influence  angular_1  ppl_without";
        for (int l = 0; l < s.Layers.Count; l++)
            yield return string.Create(ci, $"{l,5}  {s.Layers[l].BlockInfluence,15:F6}  {s.AngularDistance[0][l],9:F6}  {s.Layers[l].PerplexityWithout,11:F4}");
        yield return "least important first, by BI:  " + string.Join(" ", Order(s.Layers.Select(l => l.BlockInfluence)));
        yield return "least important first, by PPL: " + string.Join(" ", Order(s.Layers.Select(l => l.PerplexityWithout)));
        yield return string.Create(ci, $"Spearman rank correlation of BI and PPL without the layer: {s.BlockInfluencePerplexitySpearman:F4}");
    }

    private static IEnumerable<int> Order(IEnumerable<double> values) => values.Select((v, i) => (v, i)).OrderBy(p => p.v).Select(p => p.i);

    /// <summary>One stderr line per stage and per tenth of its windows.</summary>
    internal sealed class StageProgress(TextWriter error) : IProgress<ImportanceProgress>
    {
        private string? _stage;
        private int _tenth = -1;

        public void Report(ImportanceProgress value)
        {
            int tenth = value.Done * 10 / Math.Max(1, value.Total);
            if (value.Stage == _stage && tenth == _tenth) return;
            (_stage, _tenth) = (value.Stage, tenth);
            error.WriteLine($"importance: {value.Stage}: {value.Done}/{value.Total} windows");
        }
    }
}
