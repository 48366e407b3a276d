using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Evaluation;

namespace Transformer.Runtime.Pruning;

/// <summary>Where an importance run is: a stage ("activations", "without layer 3") and its windows done of total.</summary>
public readonly record struct ImportanceProgress(string Stage, int Done, int Total);

/// <summary>
/// Measures a model's pruning signals on calibration tokens: one observed pass for the activation statistics and the
/// baseline perplexity, then one pass per layer with that layer removed. Each pass streams window by window
/// (<see cref="PerplexityScorer"/>), so memory is the model, one window's activations and the sums.
/// </summary>
public static class ImportanceAnalysis
{
    /// <summary>Runs every pass over <paramref name="tokens"/> cut by <paramref name="chunks"/>.</summary>
    /// <exception cref="NotSupportedException">The model is not of the Llama family (<see cref="ModelPruner.Architectures"/>).</exception>
    public static ImportanceStatistics Measure(string modelName, ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions options,
        IReadOnlyList<int> tokens, int bosId, TextChunks chunks, IProgress<ImportanceProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ModelPruner.CheckSupported(config);
        int windows = chunks.Windows(tokens.Count);
        var statistics = new ActivationStatistics(config);
        double baseline;
        using (var observed = DecoderModels.Create(config, weights, backend, options with { ActivationObserver = statistics.Observe }))
            baseline = Perplexity(observed, tokens, bosId, chunks, "activations", windows, progress, cancellation);

        var without = new double[config.NumLayers];
        for (int layer = 0; layer < config.NumLayers; layer++)
            without[layer] = LayerRemoval.Perplexity(config, weights, backend, options, layer, tokens, bosId, chunks, progress, cancellation);
        return statistics.Summarize(modelName, windows, chunks.Context, baseline, without);
    }

    internal static double Perplexity(DecoderModel model, IReadOnlyList<int> tokens, int bosId, TextChunks chunks, string stage, int windows,
        IProgress<ImportanceProgress>? progress, CancellationToken cancellation)
    {
        var windowProgress = progress is null ? null : new Progress(done => progress.Report(new ImportanceProgress(stage, done, windows)));
        var nll = PerplexityScorer.Score(model, tokens, bosId, chunks, windowProgress, cancellation).Select(p => -(double)p.LogProbability).ToList();
        return PerplexityResult.From(nll, windows).Perplexity;
    }

    // Synchronous: System.Progress<T> would post reports to the thread pool, out of order.
    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

/// <summary>A model run with one layer removed, its residual stream passing straight to the next layer (ShortGPT's ablation).</summary>
public static class LayerRemoval
{
    /// <summary>Perplexity of the model without layer <paramref name="layer"/>.</summary>
    public static double Perplexity(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions options, int layer,
        IReadOnlyList<int> tokens, int bosId, TextChunks chunks, IProgress<ImportanceProgress>? progress = null, CancellationToken cancellation = default)
    {
        var plan = new PrunePlan { Layers = [.. Enumerable.Range(0, config.NumLayers).Where(l => l != layer)] };
        return PrunedPerplexity(config, weights, backend, options, plan, null, tokens, bosId, chunks, $"without layer {layer}", progress, cancellation);
    }

    /// <summary>Perplexity of the model cut to <paramref name="plan"/> in memory (nothing written out).</summary>
    public static double PrunedPerplexity(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions options, PrunePlan plan,
        ImportanceStatistics? statistics, IReadOnlyList<int> tokens, int bosId, TextChunks chunks, string stage = "pruned",
        IProgress<ImportanceProgress>? progress = null, CancellationToken cancellation = default)
    {
        var (shape, tensors) = ModelPruner.Prune(config, weights, plan, statistics);
        using var model = DecoderModels.Create(shape, new TensorList($"{weights.Description} ({stage})", tensors), backend,
            options with { ActivationObserver = null });
        return ImportanceAnalysis.Perplexity(model, tokens, bosId, chunks, stage, chunks.Windows(tokens.Count), progress, cancellation);
    }
}
