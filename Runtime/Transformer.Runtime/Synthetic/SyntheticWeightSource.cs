using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Synthetic;

/// <summary>
/// Deterministic pseudo-random weights for a <see cref="ModelConfig"/>, under Hugging Face names, made in
/// memory on demand: no download, and the same values on every run and machine. Each lookup generates
/// the tensor afresh and keeps only the last one, so a model quantized at load never holds all float32 weights at once.
/// Names and layout follow the config's family (Qwen3's q/k norms, Gemma's four norms, Phi-3's fused projections).
/// </summary>
/// <remarks>
/// Matrix values are uniform in ±1/√K (K the input width), which keeps activations of a deep stack
/// at a sane magnitude; norm weights are 1 and biases 0. Values come from a counter-based hash
/// (SplitMix64 of seed + index), so any chunk can be generated independently: generation runs in
/// parallel chunks and fills a 1.1B-parameter model in seconds.
/// </remarks>
public sealed class SyntheticWeightSource : IWeightSource
{
    private const int ChunkElements = 1 << 16;
    private readonly Dictionary<string, (int[] Shape, TensorKind Kind)> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly ulong _seed;
    private HostTensor? _last;

    private enum TensorKind { Matrix, Ones, Zeros }

    /// <summary>
    /// Describes the tensors of <paramref name="config"/>; values are generated on lookup. The weight matrices
    /// are stored as <paramref name="matrixType"/> (F32, or F16/BF16 rounded to nearest from the same float32
    /// values, as a 16-bit checkpoint holds them); norm weights and biases stay F32.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="matrixType"/> is not F32, F16 or BF16.</exception>
    public SyntheticWeightSource(ModelConfig config, ulong seed = 0x5EED, DType matrixType = DType.F32)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        if (matrixType is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"synthetic weight matrices can be F32, F16 or BF16, not {matrixType}", nameof(matrixType));
        _seed = seed;
        MatrixType = matrixType;
        int hidden = config.HiddenSize, ffn = config.IntermediateSize, q = config.QueryWidth, kv = config.KvWidth, d = config.HeadDim;
        // Each family's checkpoint layout, so its own model class loads these as it loads the real files.
        bool gemma = config.Gemma is not null;
        bool phi3 = config.Architecture == "Phi3ForCausalLM";
        bool qkNorm = config.Architecture == "Qwen3ForCausalLM" || (config.Gemma?.QueryKeyNorm ?? false);
        // Gemma stores its norm gains as w in x̂ · (1 + w): 0 is the unit gain every other family stores as 1.
        var unitGain = gemma ? TensorKind.Zeros : TensorKind.Ones;
        Add("model.embed_tokens.weight", TensorKind.Matrix, config.VocabSize, hidden);
        for (int i = 0; i < config.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            Add(p + "input_layernorm.weight", unitGain, hidden);
            if (phi3)
            {
                Add(p + "self_attn.qkv_proj.weight", TensorKind.Matrix, q + 2 * kv, hidden);
            }
            else
            {
                Add(p + "self_attn.q_proj.weight", TensorKind.Matrix, q, hidden);
                Add(p + "self_attn.k_proj.weight", TensorKind.Matrix, kv, hidden);
                Add(p + "self_attn.v_proj.weight", TensorKind.Matrix, kv, hidden);
            }
            Add(p + "self_attn.o_proj.weight", TensorKind.Matrix, hidden, q);
            if (qkNorm)
            {
                Add(p + "self_attn.q_norm.weight", unitGain, d);
                Add(p + "self_attn.k_norm.weight", unitGain, d);
            }
            if (config.AttentionBias)
            {
                Add(p + "self_attn.q_proj.bias", TensorKind.Zeros, q);
                Add(p + "self_attn.k_proj.bias", TensorKind.Zeros, kv);
                Add(p + "self_attn.v_proj.bias", TensorKind.Zeros, kv);
            }
            if (config.OutputProjectionBias) Add(p + "self_attn.o_proj.bias", TensorKind.Zeros, hidden);
            Add(p + "post_attention_layernorm.weight", unitGain, hidden);
            if (gemma)
            {
                Add(p + "pre_feedforward_layernorm.weight", unitGain, hidden);
                Add(p + "post_feedforward_layernorm.weight", unitGain, hidden);
            }
            if (phi3)
            {
                Add(p + "mlp.gate_up_proj.weight", TensorKind.Matrix, 2 * ffn, hidden);
            }
            else
            {
                Add(p + "mlp.gate_proj.weight", TensorKind.Matrix, ffn, hidden);
                Add(p + "mlp.up_proj.weight", TensorKind.Matrix, ffn, hidden);
            }
            Add(p + "mlp.down_proj.weight", TensorKind.Matrix, hidden, ffn);
            if (config.MlpBias)
            {
                Add(p + "mlp.gate_proj.bias", TensorKind.Zeros, ffn);
                Add(p + "mlp.up_proj.bias", TensorKind.Zeros, ffn);
                Add(p + "mlp.down_proj.bias", TensorKind.Zeros, hidden);
            }
        }
        Add("model.norm.weight", unitGain, hidden);
        if (!config.TieWordEmbeddings) Add("lm_head.weight", TensorKind.Matrix, config.VocabSize, hidden);
    }

    /// <summary>The configuration the tensors are shaped for.</summary>
    public ModelConfig Config { get; }

    /// <summary>The dtype the weight matrices are stored in.</summary>
    public DType MatrixType { get; }

    /// <summary>Names of every tensor, in model order.</summary>
    public IReadOnlyList<string> Names => _order;

    /// <inheritdoc/>
    public string Description => MatrixType == DType.F32 ? $"synthetic weights (seed {_seed:X})" : $"synthetic {MatrixType} weights (seed {_seed:X})";

    /// <summary>Every tensor, generated now (all of them: for a large preset, gigabytes).</summary>
    public IReadOnlyCollection<HostTensor> Tensors => _order.Select(Generate).ToArray();

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        if (!_tensors.ContainsKey(name))
        {
            tensor = null!;
            return false;
        }
        // Phi-3's model reads a fused matrix once per row block it splits off (q, k, v): repeated lookups of the
        // last tensor return the same copy, so the blocks share one array instead of each holding a whole matrix.
        if (_last is { } last && last.Name == name)
        {
            tensor = last;
            return true;
        }
        tensor = _last = Generate(name);
        return true;
    }

    /// <summary>Nothing to release: tensors are plain managed arrays.</summary>
    public void Dispose() { }

    private void Add(string name, TensorKind kind, params int[] shape)
    {
        _tensors.Add(name, (shape, kind));
        _order.Add(name);
    }

    private HostTensor Generate(string name)
    {
        var (shape, kind) = _tensors[name];
        long count = 1;
        foreach (int d in shape) count *= d;
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)(count * sizeof(float))));
        switch (kind)
        {
            case TensorKind.Ones: MemoryMarshal.Cast<byte, float>(bytes.AsSpan()).Fill(1f); break;
            case TensorKind.Zeros: Array.Clear(bytes); break;
            default: FillUniform(bytes, count, 1f / MathF.Sqrt(shape[^1]), TensorSeed(name)); break;
        }
        return kind == TensorKind.Matrix && MatrixType != DType.F32
            ? new HostTensor(name, MatrixType, shape, Narrow(bytes, MatrixType))
            : new HostTensor(name, DType.F32, shape, bytes);
    }

    private static byte[] Narrow(byte[] floatBytes, DType type)
    {
        int count = floatBytes.Length / sizeof(float);
        var bytes = GC.AllocateUninitializedArray<byte>(count * sizeof(ushort));
        // In parallel chunks like the generation: a 1.1B-parameter model has a billion values to round.
        Parallel.For(0, (count + ChunkElements - 1) / ChunkElements, chunk =>
        {
            int begin = chunk * ChunkElements, length = Math.Min(ChunkElements, count - begin);
            var values = MemoryMarshal.Cast<byte, float>(floatBytes.AsSpan()).Slice(begin, length);
            var narrow = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()).Slice(begin, length);
            if (type == DType.F16)
                TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<ushort, Half>(narrow));
            else
                for (int i = 0; i < values.Length; i++) narrow[i] = BFloat16Conversion.FromSingle(values[i]);
        });
        return bytes;
    }

    private static void FillUniform(byte[] bytes, long count, float amplitude, ulong seed)
    {
        int chunks = (int)((count + ChunkElements - 1) / ChunkElements);
        Parallel.For(0, chunks, chunk =>
        {
            var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
            long begin = (long)chunk * ChunkElements;
            long end = Math.Min(count, begin + ChunkElements);
            // 24 random bits → [0, 1) exactly representable in float32, then mapped to ±amplitude.
            const float unit = 1f / (1 << 24);
            float twice = 2 * amplitude;
            for (long i = begin; i < end; i++)
                values[(int)i] = (SplitMix64(seed + (ulong)i) >> 40) * unit * twice - amplitude;
        });
    }

    private ulong TensorSeed(string name)
    {
        // FNV-1a of the name: stable across runs and processes, unlike string.GetHashCode.
        ulong hash = 0xCBF29CE484222325 ^ _seed;
        foreach (char c in name) hash = (hash ^ c) * 0x100000001B3;
        return SplitMix64(hash);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
