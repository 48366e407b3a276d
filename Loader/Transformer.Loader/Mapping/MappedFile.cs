using System.IO.MemoryMappedFiles;

namespace Transformer.Loader.Mapping;

/// <summary>
/// A whole file mapped read-only into the address space, with its base pointer held for the
/// lifetime of this object. Slices handed out stay valid until <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private MappedFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        Path = path;
        _file = file;
        _view = view;
        _base = basePointer;
        Length = length;
    }

    /// <summary>The mapped file's path.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps <paramref name="path"/>. The file must not be empty (an empty file cannot be mapped; callers
    /// check the minimum size of their format first and report it in their own terms).
    /// </summary>
    public static MappedFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            throw new ModelFormatException($"{path}: the file is empty");
        }
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0,
                MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            // The view may start before the requested offset (page alignment); PointerOffset corrects for it.
            return new MappedFile(path, file, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            if (file is null) stream.Dispose();
            file?.Dispose();
            throw;
        }
    }

    /// <summary>The whole file as a span (valid until disposal).</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        CheckRange(offset, length);
        return new ReadOnlySpan<byte>(_base + offset, length);
    }

    /// <summary>
    /// A view of <paramref name="length"/> bytes at <paramref name="offset"/>, without copying.
    /// Limited to <see cref="int.MaxValue"/> bytes because <see cref="ReadOnlyMemory{T}"/> is.
    /// </summary>
    public ReadOnlyMemory<byte> Slice(long offset, int length)
    {
        CheckRange(offset, length);
        return new UnmanagedMemoryManager<byte>(_base + offset, length).Memory;
    }

    private void CheckRange(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: range [{offset}, {offset + length}) is outside the {Length}-byte file");
    }

    /// <summary>Unmaps the file; every slice handed out becomes invalid.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
