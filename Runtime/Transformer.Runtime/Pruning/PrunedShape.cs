using Transformer.Loader.Config;

namespace Transformer.Runtime.Pruning;

/// <summary>The config of a model cut to a <see cref="PrunePlan"/>, after checking that the plan fits the model.</summary>
internal static class PrunedShape
{
    public static ModelConfig Of(ModelConfig c, PrunePlan plan)
    {
        CheckIndices("layer", plan.Layers, c.NumLayers);
        if (plan.Layers.Count == 0) throw new ArgumentException("the plan keeps no layer");
        int neurons = UniformCount("MLP neuron", plan.Neurons, plan.Layers.Count, c.IntermediateSize);
        int groups = UniformCount("key/value group", plan.KvGroups, plan.Layers.Count, c.NumKvHeads);
        int hidden = c.HiddenSize;
        if (plan.HiddenChannels is { } channels)
        {
            CheckIndices("hidden channel", channels, c.HiddenSize);
            if (channels.Count == 0) throw new ArgumentException("the plan keeps no hidden channel");
            hidden = channels.Count;
        }
        if (plan.Mask is { } mask && !(mask.Sparsity >= 0 && mask.Sparsity < 1))
            throw new ArgumentException($"the mask's sparsity must be in [0, 1), got {mask.Sparsity}");
        return c with
        {
            NumLayers = plan.Layers.Count,
            IntermediateSize = neurons,
            NumKvHeads = groups,
            NumHeads = groups * (c.NumHeads / c.NumKvHeads),
            HiddenSize = hidden,
            RopeByLayer = c.RopeByLayer is { } byLayer ? [.. plan.Layers.Select(l => byLayer[l])] : null,
        };
    }

    private static int UniformCount(string what, IReadOnlyList<IReadOnlyList<int>>? perLayer, int layers, int limit)
    {
        if (perLayer is null) return limit;
        if (perLayer.Count != layers) throw new ArgumentException($"the plan has {what} choices for {perLayer.Count} layers, it keeps {layers}");
        int count = perLayer[0].Count;
        if (count == 0) throw new ArgumentException($"the plan keeps no {what}");
        foreach (var kept in perLayer)
        {
            if (kept.Count != count) throw new ArgumentException($"every layer must keep the same number of each {what} (one config width), got {kept.Count} and {count}");
            CheckIndices(what, kept, limit);
        }
        return count;
    }

    private static void CheckIndices(string what, IReadOnlyList<int> indices, int limit)
    {
        for (int i = 0; i < indices.Count; i++)
        {
            if ((uint)indices[i] >= (uint)limit) throw new ArgumentException($"{what} {indices[i]} is outside [0, {limit})");
            if (i > 0 && indices[i] <= indices[i - 1]) throw new ArgumentException($"{what} indices must be ascending and distinct, got {indices[i - 1]} then {indices[i]}");
        }
    }
}
