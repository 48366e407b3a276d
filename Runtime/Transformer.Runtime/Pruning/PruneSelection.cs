namespace Transformer.Runtime.Pruning;

/// <summary>How the layers to remove are ranked: Block Influence, angular distance (n = 1), or measured perplexity without each.</summary>
public enum LayerCriterion
{
    /// <summary>Lowest Block Influence first (ShortGPT).</summary>
    BlockInfluence,
    /// <summary>Lowest one-layer angular distance first (Gromov et al.).</summary>
    Angular,
    /// <summary>Lowest perplexity without the layer first.</summary>
    Perplexity,
}

/// <summary>How MLP neurons are ranked for a width cut: by calibration activations (Minitron) or by weight magnitude (the baseline).</summary>
public enum NeuronCriterion
{
    /// <summary>L2 norm of the neuron's activation over the calibration tokens.</summary>
    Activation,
    /// <summary>L2 norm of the neuron's weights: its gate and up rows and its down column.</summary>
    Magnitude,
}

/// <summary>Turns importance figures into the indices a <see cref="PrunePlan"/> keeps.</summary>
public static class PruneSelection
{
    /// <summary>The <paramref name="keep"/> most important layers, ascending, by <paramref name="criterion"/>.</summary>
    public static int[] Layers(ImportanceStatistics statistics, int keep, LayerCriterion criterion)
    {
        int layers = statistics.Layers.Count;
        if (keep < 1 || keep > layers) throw new ArgumentException($"keep {keep} layers of {layers}: must be 1 … {layers}");
        IReadOnlyList<double> score = criterion switch
        {
            LayerCriterion.BlockInfluence => [.. statistics.Layers.Select(l => l.BlockInfluence)],
            LayerCriterion.Angular => statistics.AngularDistance[0],
            _ => [.. statistics.Layers.Select(l => l.PerplexityWithout)],
        };
        return Ranking.Largest(score, keep);
    }

    /// <summary>Every layer except <paramref name="dropped"/>.</summary>
    public static int[] LayersWithout(int layers, IReadOnlyCollection<int> dropped)
    {
        foreach (int l in dropped)
            if ((uint)l >= (uint)layers) throw new ArgumentException($"layer {l} is outside [0, {layers})");
        if (dropped.Distinct().Count() >= layers) throw new ArgumentException($"dropping {dropped.Distinct().Count()} of {layers} layers leaves none");
        return [.. Enumerable.Range(0, layers).Where(l => !dropped.Contains(l))];
    }

    /// <summary>How many of <paramref name="total"/> a keep ratio leaves (rounded, at least 1).</summary>
    public static int Count(double ratio, int total, string what)
    {
        if (!(ratio > 0 && ratio <= 1)) throw new ArgumentException($"the {what} keep ratio must be in (0, 1], got {ratio}");
        return Math.Max(1, (int)Math.Round(ratio * total, MidpointRounding.AwayFromZero));
    }

    /// <summary>Per layer of <paramref name="layers"/>: the <paramref name="keep"/> neurons with the largest score.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> Neurons(IReadOnlyList<int> layers, int keep, Func<int, IReadOnlyList<double>> score) =>
        [.. layers.Select(l => (IReadOnlyList<int>)Ranking.Largest(score(l), keep))];

    /// <summary>Per layer: the <paramref name="keep"/> key/value groups whose query heads' output norms sum highest.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> KvGroups(ImportanceStatistics statistics, IReadOnlyList<int> layers, int kvHeads, int keep) =>
        [.. layers.Select(l =>
        {
            var heads = statistics.Layers[l].HeadOutputNorm;
            int perGroup = heads.Count / kvHeads;
            double[] groups = [.. Enumerable.Range(0, kvHeads).Select(g => Enumerable.Range(g * perGroup, perGroup).Sum(h => heads[h]))];
            return (IReadOnlyList<int>)Ranking.Largest(groups, keep);
        })];

    /// <summary>The <paramref name="keep"/> hidden channels of largest mean magnitude.</summary>
    public static int[] HiddenChannels(ImportanceStatistics statistics, int keep) => Ranking.Largest(statistics.HiddenChannelMagnitude, keep);
}
