namespace Transformer.Bench;

/// <summary>
/// The weight shapes the matmul suites run: every projection of SmolLM2-135M (hidden 576, FFN 1536,
/// vocab 49152) and TinyLlama-1.1B (hidden 2048, FFN 5632, vocab 32000).
/// </summary>
public static class MatMulShapes
{
    /// <summary>The prompt length of the prefill (GEMM) benchmarks.</summary>
    public const int PrefillTokens = 128;

    /// <summary>Every projection, for decode (one token): attention q/o, FFN gate/up and down, and the classifier.</summary>
    public static IReadOnlyList<MatMulShape> Decode { get; } =
    [
        new("SmolLM2", "attn", 576, 576),
        new("SmolLM2", "ffn_up", 1536, 576),
        new("SmolLM2", "ffn_down", 576, 1536),
        new("SmolLM2", "lm_head", 49152, 576),
        new("TinyLlama", "attn", 2048, 2048),
        new("TinyLlama", "ffn_up", 5632, 2048),
        new("TinyLlama", "ffn_down", 2048, 5632),
        new("TinyLlama", "lm_head", 32000, 2048),
    ];

    /// <summary>
    /// The projections a prompt goes through as a GEMM: all but the classifier, which the model runs
    /// only on the last prompt token (LlamaModel.Forward), so it is a GEMV even in prefill.
    /// </summary>
    public static IEnumerable<MatMulShape> Prefill => Decode.Where(shape => shape.Projection != "lm_head");

    /// <summary>The distinct input widths (hidden and FFN sizes), for the activation quantizer.</summary>
    public static IEnumerable<int> InFeatures => Decode.Select(shape => shape.In).Distinct().Order();
}
