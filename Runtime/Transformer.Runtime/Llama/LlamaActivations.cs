using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>
/// Scratch activations for up to <see cref="Rows"/> tokens at a time, owned by one sequence.
/// Each forward pass uses row slices of these, so decoding allocates nothing.
/// </summary>
internal sealed class LlamaActivations : IDisposable
{
    private readonly IBackend _backend;
    private readonly int _vocab;
    private DeviceTensor? _allLogits;

    public LlamaActivations(IBackend backend, ModelConfig c, int rows)
    {
        _backend = backend;
        _vocab = c.VocabSize;
        Rows = rows;
        Residual = backend.Allocate(rows, c.HiddenSize);
        Normed = backend.Allocate(rows, c.HiddenSize);
        Projected = backend.Allocate(rows, c.HiddenSize);
        Query = backend.Allocate(rows, c.QueryWidth);
        Key = backend.Allocate(rows, c.KvWidth);
        Value = backend.Allocate(rows, c.KvWidth);
        Attended = backend.Allocate(rows, c.QueryWidth);
        Gate = backend.Allocate(rows, c.IntermediateSize);
        Up = backend.Allocate(rows, c.IntermediateSize);
        LastLogits = backend.Allocate(1, c.VocabSize);
    }

    public int Rows { get; }
    public DeviceTensor Residual { get; }
    public DeviceTensor Normed { get; }
    public DeviceTensor Projected { get; }
    public DeviceTensor Query { get; }
    public DeviceTensor Key { get; }
    public DeviceTensor Value { get; }
    public DeviceTensor Attended { get; }
    public DeviceTensor Gate { get; }
    public DeviceTensor Up { get; }
    public DeviceTensor LastLogits { get; }

    /// <summary>Logits for every row of a chunk; allocated on first use since generation never needs it.</summary>
    public DeviceTensor AllLogits => _allLogits ??= _backend.Allocate(Rows, _vocab);

    public void Dispose()
    {
        foreach (var t in new[] { Residual, Normed, Projected, Query, Key, Value, Attended, Gate, Up, LastLogits, _allLogits })
            t?.Dispose();
    }
}
