namespace Transformer.Loader;

/// <summary>
/// A model file, config or tokenizer file is malformed or disagrees with the model. The message
/// names the file, the tensor (when there is one) and the problem.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception with a complete message.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and its cause.</summary>
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
