namespace Transformer.Loader.Gguf;

/// <summary>
/// What differs between the GGUF architectures this engine runs. Adding one is adding an entry to
/// <see cref="GgufArchitectures"/>: its name, the Hugging Face architecture it maps to, how llama.cpp's converter
/// stored its query/key rows, and any tensor names beyond the common Llama set.
/// </summary>
public sealed record GgufArchitecture
{
    /// <summary><c>general.architecture</c>, and the prefix of its hyperparameter keys (<c>llama.block_count</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The Hugging Face architecture the model code knows it by (<c>LlamaForCausalLM</c>).</summary>
    public required string HuggingFaceArchitecture { get; init; }

    /// <summary>
    /// Whether llama.cpp's converter reordered each head's query and key rows from Hugging Face's half-split order
    /// (row i pairs with row i + d/2, rotate_half) into adjacent pairs (rows 2i, 2i + 1), the order its "normal"
    /// RoPE rotates. True for <c>llama</c>; false for architectures llama.cpp runs with NeoX RoPE (<c>qwen2</c>),
    /// whose rows are stored as Hugging Face has them.
    /// </summary>
    public required bool QueryKeyRowsInterleaved { get; init; }

    /// <summary>
    /// Per-layer tensor names beyond the common ones (GGUF suffix after <c>blk.N.</c> → Hugging Face suffix after
    /// <c>model.layers.N.</c>), e.g. a query norm.
    /// </summary>
    public IReadOnlyDictionary<string, string> ExtraLayerTensors { get; init; } = new Dictionary<string, string>();
}

/// <summary>The GGUF architectures this engine maps to its models.</summary>
public static class GgufArchitectures
{
    /// <summary>Every supported architecture.</summary>
    public static IReadOnlyList<GgufArchitecture> All { get; } =
    [
        new() { Name = "llama", HuggingFaceArchitecture = "LlamaForCausalLM", QueryKeyRowsInterleaved = true },
        new() { Name = "qwen2", HuggingFaceArchitecture = "Qwen2ForCausalLM", QueryKeyRowsInterleaved = false },
        // Qwen3: Qwen2 without the q/k/v biases and with an RMSNorm of each query and key head before RoPE.
        new()
        {
            Name = "qwen3", HuggingFaceArchitecture = "Qwen3ForCausalLM", QueryKeyRowsInterleaved = false,
            ExtraLayerTensors = new Dictionary<string, string>
            {
                ["attn_q_norm.weight"] = "self_attn.q_norm.weight",
                ["attn_k_norm.weight"] = "self_attn.k_norm.weight",
            },
        },
    ];

    /// <summary>The entry for <c>general.architecture</c>; a <see cref="ModelFormatException"/> naming the supported ones otherwise.</summary>
    public static GgufArchitecture Find(string? name, string source) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ModelFormatException(name is null
            ? $"{source}: general.architecture is missing; supported: {string.Join(", ", All.Select(a => a.Name))}"
            : $"{source}: GGUF architecture '{InputQuote.Cap(name)}' is not supported; supported: {string.Join(", ", All.Select(a => a.Name))}");
}
