namespace Transformer.Runtime.Diagnostics;

/// <summary>The groups a profile reports backend time in.</summary>
public enum OpCategory
{
    /// <summary>Token embedding lookup.</summary>
    Embedding,
    /// <summary>RMSNorm.</summary>
    Norms,
    /// <summary>Projection matmuls inside the decoder layers (QKV, output, gate/up, down).</summary>
    MatMul,
    /// <summary>The classifier matmul (lm_head, or the tied embedding used as one).</summary>
    LmHead,
    /// <summary>Rotary position embedding.</summary>
    Rope,
    /// <summary>KV cache writes and attention.</summary>
    Attention,
    /// <summary>SwiGLU activation.</summary>
    Activation,
    /// <summary>Residual adds and biases.</summary>
    Elementwise,
    /// <summary>Choosing the next token on the device (argmax).</summary>
    Sampling,
    /// <summary>Copies between host and device (logits downloads, uploads).</summary>
    Transfer,
}
