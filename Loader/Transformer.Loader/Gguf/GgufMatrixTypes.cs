using Transformer.Kernels.Quantized.Ggml;

namespace Transformer.Loader.Gguf;

/// <summary>
/// How <see cref="GgufModelWriter"/> chooses each matrix's ggml type: one type for all (<see cref="Uniform"/>, rows that
/// are not whole blocks of it F16, as llama.cpp's converter writes them), or llama.cpp's Q4_K_M mix
/// (<see cref="Q4_K_M"/>: the type rules of <see cref="GgmlQ4_K_M"/>, fallbacks included, as its quantizer applies them).
/// </summary>
public sealed class GgufMatrixTypes
{
    private readonly Func<string, int, int, bool, GgmlType> _choose;

    private GgufMatrixTypes(string name, IReadOnlyList<GgmlType> types, Func<string, int, int, bool, GgmlType> choose)
    {
        Name = name;
        Types = types;
        _choose = choose;
    }

    /// <summary>The choice as users name it (<c>Q8_0</c>, <c>Q4_K_M</c>).</summary>
    public string Name { get; }

    /// <summary>Every type a matrix can get under this choice.</summary>
    public IReadOnlyList<GgmlType> Types { get; }

    /// <summary>Every matrix in <paramref name="type"/>, or F16 where its rows are not whole blocks of it.</summary>
    public static GgufMatrixTypes Uniform(GgmlType type) => new(GgmlTypes.Name(type), type == GgmlType.F16 ? [type] : [type, GgmlType.F16],
        (_, columns, _, _) => GgmlTypes.TryGetLayout(type, out int blockSize, out _) && columns % blockSize != 0 ? GgmlType.F16 : type);

    /// <summary>llama.cpp's <c>LLAMA_FTYPE_MOSTLY_Q4_K_M</c> for a dense model without an importance matrix.</summary>
    public static GgufMatrixTypes Q4_K_M { get; } = new("Q4_K_M", [GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.F16],
        (name, columns, layers, hasOutput) =>
        {
            var (role, layer) = RoleOf(name, hasOutput);
            return GgmlQ4_K_M.TypeFor(role, layer, layers, columns) switch
            {
                GgmlMixType.Q4_K => GgmlType.Q4_K,
                GgmlMixType.Q6_K => GgmlType.Q6_K,
                GgmlMixType.Q5_0 => GgmlType.Q5_0,
                GgmlMixType.Q8_0 => GgmlType.Q8_0,
                _ => GgmlType.F16,
            };
        });

    /// <summary>The type of one matrix.</summary>
    /// <param name="ggufName">Its GGUF name (<c>blk.3.attn_v.weight</c>).</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="layers">The model's layer count.</param>
    /// <param name="hasOutput">Whether the file has its own <c>output.weight</c>; without one the token embedding is the classifier.</param>
    public GgmlType TypeFor(string ggufName, int columns, int layers, bool hasOutput) => _choose(ggufName, columns, layers, hasOutput);

    /// <summary>What a GGUF matrix is to llama.cpp's type rules (its <c>llama_tensor_get_type</c>), and its layer.</summary>
    public static (GgmlMixRole Role, int Layer) RoleOf(string ggufName, bool hasOutput)
    {
        if (ggufName == "output.weight" || (!hasOutput && ggufName == "token_embd.weight")) return (GgmlMixRole.Output, 0);
        int layer = 0;
        if (ggufName.StartsWith("blk.", StringComparison.Ordinal))
        {
            int end = ggufName.IndexOf('.', 4);
            if (end > 4) int.TryParse(ggufName.AsSpan(4, end - 4), out layer);
        }
        if (ggufName.EndsWith(".attn_v.weight", StringComparison.Ordinal)) return (GgmlMixRole.AttentionValue, layer);
        if (ggufName.EndsWith(".ffn_down.weight", StringComparison.Ordinal)) return (GgmlMixRole.FeedForwardDown, layer);
        return (GgmlMixRole.Other, layer);
    }
}
