namespace Transformer.Bench;

/// <summary>
/// One projection's weight shape [out, in] in a named model, e.g. TinyLlama's FFN down projection
/// 2048x5632. Benchmark tables print it as <c>TinyLlama ffn_down 2048x5632</c>.
/// </summary>
/// <param name="Model">The model the shape comes from.</param>
/// <param name="Projection">Which weight: attn (q/o), ffn_up (gate/up), ffn_down, lm_head.</param>
/// <param name="Out">Output features (weight rows).</param>
/// <param name="In">Input features (weight columns, the dot length K).</param>
public sealed record MatMulShape(string Model, string Projection, int Out, int In)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Model} {Projection} {Out}x{In}";
}
