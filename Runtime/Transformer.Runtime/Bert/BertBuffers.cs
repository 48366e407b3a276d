using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Bert;

/// <summary>The activations of one BERT forward pass over <c>rows</c> packed tokens.</summary>
internal sealed class BertBuffers : IDisposable
{
    public BertBuffers(IBackend backend, int rows, BertConfig config)
    {
        int hidden = config.HiddenSize;
        Residual = backend.Allocate(rows, hidden);
        Scratch = backend.Allocate(rows, hidden);
        Query = backend.Allocate(rows, hidden);
        Key = backend.Allocate(rows, hidden);
        Value = backend.Allocate(rows, hidden);
        Attended = backend.Allocate(rows, hidden);
        Intermediate = backend.Allocate(rows, config.IntermediateSize);
    }

    /// <summary>The hidden state x.</summary>
    public DeviceTensor Residual { get; }
    /// <summary>Embeddings to add, and each block's output before the residual add.</summary>
    public DeviceTensor Scratch { get; }
    /// <summary>Attention projections and result.</summary>
    public DeviceTensor Query { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Key { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Value { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Attended { get; }
    /// <summary>The MLP's hidden layer.</summary>
    public DeviceTensor Intermediate { get; }

    public void Dispose()
    {
        foreach (var t in new[] { Residual, Scratch, Query, Key, Value, Attended, Intermediate }) t.Dispose();
    }
}
