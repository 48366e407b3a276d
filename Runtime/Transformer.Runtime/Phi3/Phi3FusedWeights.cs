using System.Text.RegularExpressions;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Phi3;

/// <summary>
/// Phi-3 checkpoints store the query, key and value projections as one matrix (<c>qkv_proj</c>, rows
/// q | k | v) and the MLP's gate and up projections as one (<c>gate_up_proj</c>, gate rows first). This view
/// presents their row ranges under the separate Llama names, without copying (a row range of a mapped
/// tensor is still mapped), so the shared weight loading and every backend see the usual layout. Stored
/// pre-quantized (<c>NAME.q8</c> with <c>NAME.q8_scales</c>, or <c>NAME.q4</c> with <c>NAME.q4_scales</c>), the fused tensors split the same way.
/// </summary>
internal sealed partial class Phi3FusedWeights(IWeightSource inner, ModelConfig config) : IWeightSource
{
    [GeneratedRegex(@"^(model\.layers\.\d+\.)(self_attn\.(q|k|v)_proj|mlp\.(gate|up)_proj).weight(\.q8|\.q8_scales|\.q4|\.q4_scales)?$")]
    private static partial Regex SplitName();

    /// <inheritdoc/>
    public string Description => inner.Description;

    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors => inner.Tensors;

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        var match = SplitName().Match(name);
        if (!match.Success) return inner.TryGet(name, out tensor!);

        string prefix = match.Groups[1].Value, suffix = match.Groups[5].Value;
        int q = config.QueryWidth, kv = config.KvWidth, ffn = config.IntermediateSize;
        var (fused, rows, start, count) = match.Groups[3].Success
            ? ($"{prefix}self_attn.qkv_proj.weight{suffix}", q + 2 * kv, match.Groups[3].Value switch { "q" => 0, "k" => q, _ => q + kv }, match.Groups[3].Value == "q" ? q : kv)
            : ($"{prefix}mlp.gate_up_proj.weight{suffix}", 2 * ffn, match.Groups[4].Value == "gate" ? 0 : ffn, ffn);
        if (!inner.TryGet(fused, out var whole))
        {
            tensor = null!;
            if (suffix.Length > 0) return false; // not stored pre-quantized: the loader then asks for the float matrix
            throw new ModelFormatException($"{inner.Description}: missing tensor '{fused}' (phi3 stores {name[prefix.Length..]} as rows of it)");
        }
        if (whole.Shape.Count != 2 || whole.Shape[0] != rows)
            throw new ModelFormatException(
                $"{inner.Description}: tensor '{fused}' has shape [{string.Join(", ", whole.Shape)}], the config implies {rows} rows");
        long rowBytes = whole.Data.Length / rows;
        tensor = new HostTensor(name, whole.Type, [count, whole.Shape[1]], whole.Data.Slice((int)(start * rowBytes), (int)(count * rowBytes)));
        return true;
    }

    /// <summary>The inner source is the model's to release, not this view's.</summary>
    public void Dispose() { }
}
