using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Loader.Mapping;

namespace Transformer.Loader.Llama2c;

/// <summary>
/// A llama2.c <c>.bin</c> checkpoint (a 7-int header, then float32 arrays stacked over layers),
/// memory-mapped and presented under Hugging Face tensor names so the same model code reads it.
/// Matrices are already in PyTorch [out, in] orientation; only the RoPE convention differs, which
/// <see cref="Config"/> records as <see cref="RopeStyle.InterleavedPairs"/> (the q/k rows are left as stored).
/// </summary>
public sealed class Llama2cCheckpoint : IWeightSource
{
    private readonly MappedFile _mapping;
    private readonly Dictionary<string, HostTensor> _byName;
    private readonly HostTensor[] _tensors;

    private Llama2cCheckpoint(string path, Llama2cHeader header, MappedFile mapping, HostTensor[] tensors)
    {
        FilePath = path;
        Header = header;
        _mapping = mapping;
        _tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Config = ConfigFrom(header);
    }

    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; }

    /// <summary>The header as stored.</summary>
    public Llama2cHeader Header { get; }

    /// <summary>The model configuration the header implies (plus llama2.c's fixed conventions).</summary>
    public ModelConfig Config { get; }

    /// <inheritdoc/>
    public string Description => FilePath;

    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors => _tensors;

    /// <summary>
    /// Opens and validates <paramref name="path"/>: the header must be consistent and the file size must
    /// equal exactly what the header implies, otherwise <see cref="ModelFormatException"/>.
    /// </summary>
    public static Llama2cCheckpoint Open(string path)
    {
        var header = ReadValidHeader(path);
        var mapping = MappedFile.Open(path);
        try
        {
            return new Llama2cCheckpoint(path, header, mapping, MapTensors(header, mapping, path));
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> holds a llama2.c checkpoint: a consistent header and the exact size it
    /// implies. Used to tell checkpoints from other <c>.bin</c> files (e.g. llama2.c tokenizer exports).
    /// </summary>
    public static bool IsCheckpoint(string path)
    {
        try
        {
            ReadValidHeader(path);
            return true;
        }
        catch (ModelFormatException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        // Views of an unmapped file would fault on first touch, so refuse to hand them out.
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _byName.TryGetValue(name, out tensor!);
    }

    private bool _disposed;

    /// <summary>Unmaps the file; tensors obtained from it must not be used afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _mapping.Dispose();
    }

    private static Llama2cHeader ReadValidHeader(string path)
    {
        Span<byte> bytes = stackalloc byte[Llama2cHeader.SizeInBytes];
        long fileLength;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            fileLength = stream.Length;
            if (fileLength < Llama2cHeader.SizeInBytes)
                throw new ModelFormatException(
                    $"{path}: file is {fileLength} bytes, shorter than the {Llama2cHeader.SizeInBytes}-byte llama2.c header");
            stream.ReadExactly(bytes);
        }

        var header = Llama2cHeader.Read(bytes);
        if (header.FindProblem() is { } problem)
            throw new ModelFormatException($"{path}: llama2.c header {header}: {problem}");
        if (header.ExpectedFileBytes != fileLength)
            throw new ModelFormatException(
                $"{path}: llama2.c header {header} implies a file of {header.ExpectedFileBytes} bytes, but the file has {fileLength} bytes");
        return header;
    }

    private static HostTensor[] MapTensors(Llama2cHeader header, MappedFile mapping, string path)
    {
        var offsets = new Dictionary<string, long>();
        long offset = Llama2cHeader.SizeInBytes;
        foreach (var (array, floats) in header.Arrays())
        {
            offsets[array] = offset;
            offset += floats * sizeof(float);
        }

        int dim = header.Dim, hidden = header.HiddenDim, qDim = header.NumHeads * header.HeadSize, kvDim = header.KvDim;
        var tensors = new List<HostTensor>();

        HostTensor View(string name, string array, long index, int rows, int columns)
        {
            long bytes = (long)rows * columns * sizeof(float);
            if (bytes > int.MaxValue)
                throw new ModelFormatException($"{path}: tensor '{name}' ({bytes} bytes) exceeds the {int.MaxValue}-byte limit of a single tensor view");
            long start = offsets[array] + index * bytes;
            int[] shape = rows == 1 ? [columns] : [rows, columns];
            return new HostTensor(name, DType.F32, shape, mapping.Slice(start, (int)bytes));
        }

        tensors.Add(View("model.embed_tokens.weight", "token_embedding_table", 0, header.VocabSize, dim));
        for (int i = 0; i < header.NumLayers; i++)
        {
            string layer = $"model.layers.{i}";
            tensors.Add(View($"{layer}.input_layernorm.weight", "rms_att_weight", i, 1, dim));
            tensors.Add(View($"{layer}.self_attn.q_proj.weight", "wq", i, qDim, dim));
            tensors.Add(View($"{layer}.self_attn.k_proj.weight", "wk", i, kvDim, dim));
            tensors.Add(View($"{layer}.self_attn.v_proj.weight", "wv", i, kvDim, dim));
            tensors.Add(View($"{layer}.self_attn.o_proj.weight", "wo", i, dim, qDim));
            tensors.Add(View($"{layer}.post_attention_layernorm.weight", "rms_ffn_weight", i, 1, dim));
            tensors.Add(View($"{layer}.mlp.gate_proj.weight", "w1", i, hidden, dim));
            tensors.Add(View($"{layer}.mlp.down_proj.weight", "w2", i, dim, hidden));
            tensors.Add(View($"{layer}.mlp.up_proj.weight", "w3", i, hidden, dim));
        }
        tensors.Add(View("model.norm.weight", "rms_final_weight", 0, 1, dim));
        if (!header.SharedClassifier)
            tensors.Add(View("lm_head.weight", "wcls", 0, header.VocabSize, dim));
        return tensors.ToArray();
    }

    private static ModelConfig ConfigFrom(Llama2cHeader header) => new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = header.Dim,
        IntermediateSize = header.HiddenDim,
        NumLayers = header.NumLayers,
        NumHeads = header.NumHeads,
        NumKvHeads = header.NumKvHeads,
        HeadDim = header.HeadSize,
        VocabSize = header.VocabSize,
        MaxPositions = header.SeqLen,
        // Fixed by llama2.c's run.c rather than stored in the file.
        RmsNormEps = 1e-5f,
        RopeTheta = 10000f,
        RopeStyle = RopeStyle.InterleavedPairs,
        TieWordEmbeddings = header.SharedClassifier,
        BosTokenId = 1,
        EosTokenIds = [2],
    };
}
