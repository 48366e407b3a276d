using Transformer.Kernels.Backend;
using Transformer.Runtime;

namespace Transformer.Text;

/// <summary>How <see cref="EmbeddingModel.Load"/> finds the tokenizer and runs the encoder.</summary>
public sealed record EmbeddingModelOptions
{
    /// <summary>The tokenizer file to use; null looks beside the model (see <see cref="Tokenizers.TokenizerLocator"/>).</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>The backend to run on, owned by the caller; null creates a CPU backend (with <see cref="Threads"/>) that the model owns.</summary>
    public IBackend? Backend { get; init; }

    /// <summary>Worker threads of the CPU backend created when <see cref="Backend"/> is null; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>How the weights are prepared (F32, or Q8 to quantize the layers' matrices at load).</summary>
    public ModelOptions Model { get; init; } = new();
}
