using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Pruning;
using Transformer.Loader;
using Transformer.Runtime.Pruning;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer prune</c>: a smaller Hugging Face folder cut from a Llama-family model: whole layers (listed, or the
/// least important by BI, angular distance or measured PPL), MLP neurons, GQA groups and hidden channels by the
/// importance statistics, or unstructured Wanda / magnitude masks as quality baselines.
/// </summary>
public static class PruneCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true, "Model: a Hugging Face folder of the Llama family (Llama, Mistral, Qwen2)");
        var output = new Option<string>("--out", "-o") { Description = "Folder for the pruned model", Required = true, HelpName = "DIR" };
        var stats = new Option<string?>("--stats") { Description = "Statistics from `transformer importance` on this model", HelpName = "stats.json" };
        var dropLayers = new Option<string?>("--drop-layers") { Description = "Layers to remove, by index (e.g. 3,7)", HelpName = "L,L" };
        var targetLayers = NumberOptions.OptionalInt("--target-layers", [], "Keep this many layers, removing the least important (needs --stats)");
        var by = new Option<string>("--by") { Description = "What ranks layers for --target-layers: bi, angular or ppl", DefaultValueFactory = _ => "bi", HelpName = "bi|angular|ppl" };
        by.AcceptOnlyFromAmong("bi", "angular", "ppl");
        var ffnKeep = Ratio("--ffn-keep", "Fraction of MLP neurons kept in every layer");
        var ffnBy = new Option<string>("--ffn-by") { Description = "What ranks neurons: activation (L2 over the calibration text, needs --stats) or magnitude (weights)", DefaultValueFactory = _ => "activation", HelpName = "activation|magnitude" };
        ffnBy.AcceptOnlyFromAmong("activation", "magnitude");
        var kvKeep = Ratio("--kv-groups-keep", "Fraction of key/value groups kept in every layer, each with its query heads (needs --stats)");
        var hiddenKeep = Ratio("--hidden-keep", "Fraction of hidden channels kept (needs --stats)");
        var wanda = Ratio("--wanda", "Zero this fraction of each output row of every linear by |W|·‖X‖ (needs --stats)");
        var magnitude = Ratio("--magnitude", "Zero this fraction of each output row of every linear by |W|");
        var command = new Command("prune", "Cut a model down to a smaller Hugging Face folder: layers, MLP neurons, GQA groups, hidden channels, or Wanda / magnitude masks")
        {
            model, output, stats, dropLayers, targetLayers, by, ffnKeep, ffnBy, kvKeep, hiddenKeep, wanda, magnitude,
        };
        CommandAction.Set(command, context, (parsed, cancellation) =>
        {
            string modelPath = parsed.GetValue(model)!;
            using var files = ModelFiles.Open(modelPath);
            var config = files.Config;
            ModelPruner.CheckSupported(config);
            ImportanceStatistics? statistics = parsed.GetValue(stats) is { } statsPath ? StatisticsFile.Read(statsPath) : null;
            ImportanceStatistics Needed(string option) =>
                statistics ?? throw new ArgumentException($"{option} needs the importance statistics: run `transformer importance` and pass --stats");

            if (parsed.GetValue(dropLayers) is not null && parsed.GetValue(targetLayers) is not null)
                throw new ArgumentException("--drop-layers and --target-layers both choose the layers: give one");
            int[] layers = parsed.GetValue(dropLayers) is { } list
                ? PruneSelection.LayersWithout(config.NumLayers, ParseLayers(list))
                : parsed.GetValue(targetLayers) is { } target
                    ? PruneSelection.Layers(Needed("--target-layers"), target, Criterion(parsed.GetValue(by)!))
                    : [.. Enumerable.Range(0, config.NumLayers)];

            IReadOnlyList<IReadOnlyList<int>>? neurons = null;
            if (parsed.GetValue(ffnKeep) is { } ffnRatio)
            {
                int keep = PruneSelection.Count(ffnRatio, config.IntermediateSize, "--ffn-keep");
                neurons = parsed.GetValue(ffnBy) == "magnitude"
                    ? PruneSelection.Neurons(layers, keep, l => ModelPruner.NeuronWeightNorms(files.Weights, l))
                    : PruneSelection.Neurons(layers, keep, l => Needed("--ffn-keep").Layers[l].NeuronL2);
            }
            var groups = parsed.GetValue(kvKeep) is { } kvRatio
                ? PruneSelection.KvGroups(Needed("--kv-groups-keep"), layers, config.NumKvHeads, PruneSelection.Count(kvRatio, config.NumKvHeads, "--kv-groups-keep"))
                : null;
            var hidden = parsed.GetValue(hiddenKeep) is { } hiddenRatio
                ? PruneSelection.HiddenChannels(Needed("--hidden-keep"), PruneSelection.Count(hiddenRatio, config.HiddenSize, "--hidden-keep"))
                : null;
            if (parsed.GetValue(wanda) is not null && parsed.GetValue(magnitude) is not null)
                throw new ArgumentException("--wanda and --magnitude are two masks of the same weights: give one");
            UnstructuredMask? mask = parsed.GetValue(wanda) is { } w ? new UnstructuredMask(MaskCriterion.Wanda, w)
                : parsed.GetValue(magnitude) is { } m ? new UnstructuredMask(MaskCriterion.Magnitude, m) : null;
            if (mask is { Criterion: MaskCriterion.Wanda }) Needed("--wanda");

            var plan = new PrunePlan { Layers = layers, Neurons = neurons, KvGroups = groups, HiddenChannels = hidden, Mask = mask };
            var (shape, tensors) = ModelPruner.Prune(config, files.Weights, plan, statistics);
            string directory = parsed.GetValue(output)!;
            PrunedFolder.Write(files.Directory, directory, config, shape, layers, tensors);
            long parameters = tensors.Sum(t => t.ElementCount);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {directory}: layers {string.Join(",", layers)} of {config.NumLayers}; hidden {shape.HiddenSize}, ffn {shape.IntermediateSize}, heads {shape.NumHeads}/{shape.NumKvHeads} kv; {parameters} parameters{(mask is null ? "" : $", {mask.Criterion.ToString().ToLowerInvariant()} mask {mask.Sparsity:P0}")}"));
            return Task.FromResult(0);
        });
        return command;
    }

    private static Option<double?> Ratio(string name, string description)
    {
        var option = new Option<double?>(name) { Description = description + ", in (0, 1]", HelpName = "R" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } r && !(r > 0 && r <= 1)) result.AddError($"{name} must be in (0, 1], got {r.ToString(CultureInfo.InvariantCulture)}");
        });
        return option;
    }

    private static LayerCriterion Criterion(string by) => by switch
    {
        "angular" => LayerCriterion.Angular,
        "ppl" => LayerCriterion.Perplexity,
        _ => LayerCriterion.BlockInfluence,
    };

    private static int[] ParseLayers(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--drop-layers lists no layer");
        return [.. parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? l
            : throw new ArgumentException($"--drop-layers: '{p}' is not a layer index"))];
    }
}
