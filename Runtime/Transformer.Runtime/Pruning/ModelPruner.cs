using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Pruning;

/// <summary>
/// Cuts a Llama-family model (Llama, Mistral, Qwen2: Hugging Face tensor names) down to a <see cref="PrunePlan"/>:
/// the kept layers renumbered from 0, each matrix's rows and columns for the kept heads, neurons and hidden
/// channels, and the config shrunk to match. The result is float32 tensors, whatever the source's type.
/// </summary>
public static class ModelPruner
{
    /// <summary>Architectures whose tensors and forward pass this pruner knows (the Llama model's).</summary>
    public static readonly IReadOnlySet<string> Architectures = new HashSet<string>(StringComparer.Ordinal)
    {
        "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
    };

    /// <summary>Throws unless <paramref name="config"/> is of a family this pruner knows.</summary>
    /// <exception cref="NotSupportedException">Names the architecture and the supported ones.</exception>
    public static void CheckSupported(ModelConfig config)
    {
        if (!Architectures.Contains(config.Architecture))
            throw new NotSupportedException($"pruning knows the Llama family's tensors ({string.Join(", ", Architectures)}), not {config.Architecture}");
    }

    /// <summary>
    /// The pruned config and tensors. <paramref name="statistics"/> (of the same model) is needed for a Wanda mask.
    /// </summary>
    /// <exception cref="ArgumentException">The plan does not fit the model (an index out of range, uneven counts, nothing left).</exception>
    public static (ModelConfig Config, IReadOnlyList<HostTensor> Tensors) Prune(ModelConfig config, IWeightSource source, PrunePlan plan,
        ImportanceStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(plan);
        CheckSupported(config);
        foreach (var t in source.Tensors)
            if (t.Name.EndsWith(LlamaWeights.QuantizedValuesSuffix, StringComparison.Ordinal))
                throw new ArgumentException($"{source.Description}: tensor '{t.Name}' is already quantized; prune the float model, then quantize");
        var shape = PrunedShape.Of(config, plan);
        if (plan.Mask is { Criterion: MaskCriterion.Wanda } && statistics is null)
            throw new ArgumentException("a Wanda mask needs the importance statistics (‖X_j‖ of every linear's inputs): pass --stats");
        if (statistics is not null && statistics.Layers.Count != config.NumLayers)
            throw new ArgumentException($"the statistics describe {statistics.Layers.Count} layers, the model has {config.NumLayers}: they belong to another model");

        var hidden = plan.HiddenChannels;
        var tensors = new List<HostTensor>();
        HostMatrix Read(string name) => HostMatrix.From(source.Get(name));
        void Vector(string name, HostMatrix m) => tensors.Add(m.ToTensor(name, vector: true));
        void Matrix(string name, HostMatrix m) => tensors.Add(m.ToTensor(name, vector: false));

        Matrix("model.embed_tokens.weight", Read("model.embed_tokens.weight").SelectColumns(hidden));
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            int layer = plan.Layers[i];
            string from = $"model.layers.{layer}.", to = $"model.layers.{i}.";
            var (queryRows, kvRows) = AttentionRows(config, plan.KvGroups?[i]);
            var neurons = plan.Neurons?[i];
            var inputs = statistics?.Layers[layer].InputSquaredNorm;
            HostMatrix Linear(string name, string input) => Mask(Read(from + name), plan.Mask, inputs?[input]);

            Vector(to + "input_layernorm.weight", Read(from + "input_layernorm.weight").SelectColumns(hidden));
            Matrix(to + "self_attn.q_proj.weight", Linear("self_attn.q_proj.weight", ActivationStatistics.AttentionInput).SelectRows(queryRows).SelectColumns(hidden));
            Matrix(to + "self_attn.k_proj.weight", Linear("self_attn.k_proj.weight", ActivationStatistics.AttentionInput).SelectRows(kvRows).SelectColumns(hidden));
            Matrix(to + "self_attn.v_proj.weight", Linear("self_attn.v_proj.weight", ActivationStatistics.AttentionInput).SelectRows(kvRows).SelectColumns(hidden));
            Matrix(to + "self_attn.o_proj.weight", Linear("self_attn.o_proj.weight", ActivationStatistics.AttentionOutput).SelectRows(hidden).SelectColumns(queryRows));
            if (config.AttentionBias)
            {
                Vector(to + "self_attn.q_proj.bias", Read(from + "self_attn.q_proj.bias").SelectColumns(queryRows));
                Vector(to + "self_attn.k_proj.bias", Read(from + "self_attn.k_proj.bias").SelectColumns(kvRows));
                Vector(to + "self_attn.v_proj.bias", Read(from + "self_attn.v_proj.bias").SelectColumns(kvRows));
            }
            if (config.OutputProjectionBias) Vector(to + "self_attn.o_proj.bias", Read(from + "self_attn.o_proj.bias").SelectColumns(hidden));
            Vector(to + "post_attention_layernorm.weight", Read(from + "post_attention_layernorm.weight").SelectColumns(hidden));
            Matrix(to + "mlp.gate_proj.weight", Linear("mlp.gate_proj.weight", ActivationStatistics.MlpInput).SelectRows(neurons).SelectColumns(hidden));
            Matrix(to + "mlp.up_proj.weight", Linear("mlp.up_proj.weight", ActivationStatistics.MlpInput).SelectRows(neurons).SelectColumns(hidden));
            Matrix(to + "mlp.down_proj.weight", Linear("mlp.down_proj.weight", ActivationStatistics.MlpOutput).SelectRows(hidden).SelectColumns(neurons));
            if (config.MlpBias)
            {
                Vector(to + "mlp.gate_proj.bias", Read(from + "mlp.gate_proj.bias").SelectColumns(neurons));
                Vector(to + "mlp.up_proj.bias", Read(from + "mlp.up_proj.bias").SelectColumns(neurons));
                Vector(to + "mlp.down_proj.bias", Read(from + "mlp.down_proj.bias").SelectColumns(hidden));
            }
        }
        Vector("model.norm.weight", Read("model.norm.weight").SelectColumns(hidden));
        if (!config.TieWordEmbeddings) Matrix("lm_head.weight", Read("lm_head.weight").SelectColumns(hidden));
        return (shape, tensors);
    }

    /// <summary>
    /// Per MLP neuron of <paramref name="layer"/>: the L2 norm of its weights (its gate and up rows and its down column
    /// together), the weight-magnitude baseline for a width cut.
    /// </summary>
    public static double[] NeuronWeightNorms(IWeightSource source, int layer)
    {
        string p = $"model.layers.{layer}.mlp.";
        var gate = HostMatrix.From(source.Get(p + "gate_proj.weight"));
        var up = HostMatrix.From(source.Get(p + "up_proj.weight"));
        var down = HostMatrix.From(source.Get(p + "down_proj.weight"));
        var squares = new double[gate.Rows];
        for (int i = 0; i < gate.Rows; i++)
            for (int j = 0; j < gate.Columns; j++)
                squares[i] += (double)gate.Values[i * gate.Columns + j] * gate.Values[i * gate.Columns + j] + (double)up.Values[i * up.Columns + j] * up.Values[i * up.Columns + j];
        for (int r = 0; r < down.Rows; r++)
            for (int i = 0; i < down.Columns; i++) squares[i] += (double)down.Values[r * down.Columns + i] * down.Values[r * down.Columns + i];
        return [.. squares.Select(Math.Sqrt)];
    }

    // Query rows of the kept groups' heads (kv head g serves query heads g·r … g·r + r − 1, r = heads / kvHeads, as
    // Hugging Face's repeat_kv lays them out) and the key/value rows of the groups themselves.
    private static (int[]? Query, int[]? Kv) AttentionRows(ModelConfig config, IReadOnlyList<int>? groups)
    {
        if (groups is null) return (null, null);
        int d = config.HeadDim, perGroup = config.NumHeads / config.NumKvHeads;
        var query = new List<int>();
        var kv = new List<int>();
        foreach (int g in groups)
        {
            kv.AddRange(Enumerable.Range(g * d, d));
            query.AddRange(Enumerable.Range(g * perGroup * d, perGroup * d));
        }
        return ([.. query], [.. kv]);
    }

    // Zeroes the lowest-scored fraction of each output row; ties keep the earlier column.
    private static HostMatrix Mask(HostMatrix weight, UnstructuredMask? mask, IReadOnlyList<double>? inputSquares)
    {
        if (mask is null) return weight;
        int drop = (int)Math.Floor(mask.Sparsity * weight.Columns);
        if (drop == 0) return weight;
        if (mask.Criterion == MaskCriterion.Wanda && (inputSquares is null || inputSquares.Count != weight.Columns))
            throw new ArgumentException($"the statistics have {inputSquares?.Count ?? 0} input norms for a linear of {weight.Columns} inputs");
        var values = (float[])weight.Values.Clone();
        var scores = new double[weight.Columns];
        var order = new int[weight.Columns];
        for (int r = 0; r < weight.Rows; r++)
        {
            var row = values.AsSpan(r * weight.Columns, weight.Columns);
            for (int j = 0; j < row.Length; j++)
            {
                scores[j] = Math.Abs(row[j]) * (mask.Criterion == MaskCriterion.Wanda ? Math.Sqrt(inputSquares![j]) : 1);
                order[j] = j;
            }
            Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : b.CompareTo(a));
            for (int k = 0; k < drop; k++) row[order[k]] = 0;
        }
        return new HostMatrix(values, weight.Rows, weight.Columns);
    }
}
