using System.Buffers.Binary;

namespace Transformer.Loader.Llama2c;

/// <summary>
/// The seven little-endian int32 values that open a llama2.c checkpoint. A negative vocabulary size
/// is llama2.c's flag for an untied classifier stored at the end of the file.
/// </summary>
public readonly record struct Llama2cHeader(
    int Dim, int HiddenDim, int NumLayers, int NumHeads, int NumKvHeads, int SignedVocabSize, int SeqLen)
{
    /// <summary>Bytes the header occupies.</summary>
    public const int SizeInBytes = 7 * sizeof(int);

    /// <summary>Vocabulary size (the magnitude of the stored value).</summary>
    public int VocabSize => Math.Abs(SignedVocabSize);

    /// <summary>Whether the classifier reuses the embedding table (stored vocabulary size positive).</summary>
    public bool SharedClassifier => SignedVocabSize > 0;

    /// <summary>Features per head.</summary>
    public int HeadSize => Dim / NumHeads;

    /// <summary>Key/value width: NumKvHeads × HeadSize.</summary>
    public int KvDim => NumKvHeads * HeadSize;

    /// <summary>The stored values under llama2.c's names (derived sizes are left out: they may not exist for a corrupt header).</summary>
    public override string ToString() =>
        $"(dim {Dim}, hidden_dim {HiddenDim}, n_layers {NumLayers}, n_heads {NumHeads}, n_kv_heads {NumKvHeads}, vocab_size {SignedVocabSize}, seq_len {SeqLen})";

    /// <summary>Reads the header from the first <see cref="SizeInBytes"/> bytes.</summary>
    public static Llama2cHeader Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadInt32LittleEndian(bytes[0..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]));

    /// <summary>The header's first inconsistency, or null when it describes a model this reader can lay out.</summary>
    public string? FindProblem()
    {
        if (Dim <= 0) return $"dim must be positive, got {Dim}";
        if (HiddenDim <= 0) return $"hidden_dim must be positive, got {HiddenDim}";
        if (NumLayers <= 0) return $"n_layers must be positive, got {NumLayers}";
        if (NumHeads <= 0) return $"n_heads must be positive, got {NumHeads}";
        if (NumKvHeads <= 0) return $"n_kv_heads must be positive, got {NumKvHeads}";
        if (SignedVocabSize == 0 || SignedVocabSize == int.MinValue) return $"vocab_size {SignedVocabSize} is not a usable size";
        if (SeqLen <= 0) return $"seq_len must be positive, got {SeqLen}";
        if (Dim % NumHeads != 0) return $"dim {Dim} is not divisible by n_heads {NumHeads}";
        if (NumHeads % NumKvHeads != 0) return $"n_heads {NumHeads} is not divisible by n_kv_heads {NumKvHeads}";
        if (HeadSize % 2 != 0) return $"head size {HeadSize} (dim / n_heads) must be even for RoPE";
        try
        {
            _ = ExpectedFileBytes;
        }
        catch (OverflowException)
        {
            return "the sizes describe more bytes than a 64-bit count can express";
        }
        return null;
    }

    /// <summary>Floats in each array of the file, in file order (the layout of llama2.c's <c>memory_map_weights</c>).</summary>
    internal IEnumerable<(string Array, long Floats)> Arrays()
    {
        // Checked: a corrupt header can describe more floats than a long holds; FindProblem reports that.
        checked
        {
            long dim = Dim, hidden = HiddenDim, layers = NumLayers, vocab = VocabSize;
            long qDim = (long)NumHeads * HeadSize, kvDim = KvDim;
            yield return ("token_embedding_table", vocab * dim);
            yield return ("rms_att_weight", layers * dim);
            yield return ("wq", layers * qDim * dim);
            yield return ("wk", layers * kvDim * dim);
            yield return ("wv", layers * kvDim * dim);
            yield return ("wo", layers * dim * qDim);
            yield return ("rms_ffn_weight", layers * dim);
            yield return ("w1", layers * hidden * dim);
            yield return ("w2", layers * dim * hidden);
            yield return ("w3", layers * hidden * dim);
            yield return ("rms_final_weight", dim);
            // Precomputed RoPE tables from older exports: unused (we compute RoPE), but they occupy the file.
            yield return ("freq_cis_real", (long)SeqLen * HeadSize / 2);
            yield return ("freq_cis_imag", (long)SeqLen * HeadSize / 2);
            if (!SharedClassifier) yield return ("wcls", vocab * dim);
        }
    }

    /// <summary>The exact file size a checkpoint with this header has (meaningful once <see cref="FindProblem"/> returns null).</summary>
    public long ExpectedFileBytes => checked(SizeInBytes + Arrays().Sum(a => a.Floats) * sizeof(float));
}
