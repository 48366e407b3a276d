using System.Buffers;

namespace Transformer.Loader.Mapping;

/// <summary>
/// Presents a range of unmanaged memory (a slice of a memory-mapped file) as <see cref="Memory{T}"/>,
/// so a <see cref="Kernels.Tensors.HostTensor"/> can view mapped weights without copying them.
/// The memory is owned by the mapping, not by this manager: disposing it frees nothing.
/// </summary>
internal sealed unsafe class UnmanagedMemoryManager<T> : MemoryManager<T> where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _length;

    /// <summary>Wraps <paramref name="length"/> elements starting at <paramref name="pointer"/>.</summary>
    public UnmanagedMemoryManager(T* pointer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _pointer = pointer;
        _length = length;
    }

    public override Span<T> GetSpan() => new(_pointer, _length);

    // The mapping never moves, so pinning is just handing out the address.
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)_length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}
