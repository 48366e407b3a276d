using Transformer.Kernels.Backend;
using Transformer.Runtime;

namespace Transformer.Text;

/// <summary>How <see cref="LanguageModel.Load"/> finds the tokenizer and runs the model.</summary>
public sealed record LanguageModelOptions
{
    /// <summary>
    /// The tokenizer file to use (tokenizer.json, a SentencePiece *.model or a llama2.c tok*.bin). Null looks
    /// beside the model.
    /// </summary>
    public string? TokenizerPath { get; init; }

    /// <summary>
    /// The backend to run on. The caller owns it and disposes it after the model. Null creates a CPU backend
    /// (with <see cref="Threads"/>) that the model owns.
    /// </summary>
    public IBackend? Backend { get; init; }

    /// <summary>Worker threads of the CPU backend created when <see cref="Backend"/> is null; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>How the model's weights are prepared and run.</summary>
    public ModelOptions Model { get; init; } = new();
}
