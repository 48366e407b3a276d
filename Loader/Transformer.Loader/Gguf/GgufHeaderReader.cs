using System.Buffers.Binary;
using System.Text;

namespace Transformer.Loader.Gguf;

/// <summary>Parses and validates everything of a GGUF file before its data region.</summary>
internal static class GgufHeaderReader
{
    /// <summary>"GGUF" as the file's first four bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "GGUF"u8;

    /// <summary>Magic, version, tensor count and key/value count.</summary>
    public const int FixedHeaderBytes = 4 + 4 + 8 + 8;

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    // Smallest encodings, used to bound counts by the bytes left: a key/value pair is a key length, a type and
    // at least one byte of value; a descriptor is a name length, a dimension count, one dimension, type and offset.
    private const int MinKeyValueBytes = 8 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    public sealed record Header(uint Version, GgufMetadata Metadata, GgufTensorInfo[] Tensors, int Alignment, long DataOffset);

    public static Header Read(ReadOnlySpan<byte> bytes, long fileLength, string path)
    {
        var cursor = new Cursor(bytes, path);
        if (!bytes[..4].SequenceEqual(Magic))
            throw new ModelFormatException($"{path}: not a GGUF file: it starts with {Hex(bytes[..4])}, not the magic \"GGUF\"");
        cursor.Skip(4);
        uint version = cursor.UInt32();
        if (version is not (2 or 3))
            throw new ModelFormatException(version == 1
                ? $"{path}: GGUF version 1 (32-bit counts, from 2023) is not supported; convert the model again with a current llama.cpp"
                : $"{path}: GGUF version {version} is not supported; supported: 2, 3");
        ulong tensorCount = cursor.UInt64();
        ulong keyValueCount = cursor.UInt64();
        cursor.RequireCount(keyValueCount, MinKeyValueBytes, "metadata key/value pairs");

        var values = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        var keys = new List<string>((int)keyValueCount);
        for (ulong i = 0; i < keyValueCount; i++)
        {
            string key = cursor.String($"metadata key {i}");
            if (values.ContainsKey(key))
                throw new ModelFormatException($"{path}: metadata key '{InputQuote.Cap(key)}' appears twice");
            values[key] = ReadValue(ref cursor, key);
            keys.Add(key);
        }
        var metadata = new GgufMetadata(path, values, keys);
        int alignment = ReadAlignment(metadata, path);

        cursor.RequireCount(tensorCount, MinTensorInfoBytes, "tensor descriptors");
        var tensors = new GgufTensorInfo[(int)tensorCount];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i] = ReadTensorInfo(ref cursor, i, path);
            if (!names.Add(tensors[i].Name))
                throw new ModelFormatException($"{path}: tensor '{InputQuote.Cap(tensors[i].Name)}' is described twice");
        }

        long dataOffset = AlignUp(cursor.Position, alignment);
        if (tensors.Length > 0 && dataOffset > fileLength)
            throw new ModelFormatException($"{path}: the data region would start at byte {dataOffset}, past the end of the {fileLength}-byte file");
        CheckPlacement(tensors, alignment, fileLength - Math.Min(dataOffset, fileLength), path);
        return new Header(version, metadata, tensors, alignment, dataOffset);
    }

    private static GgufValue ReadValue(ref Cursor cursor, string key)
    {
        var type = cursor.ValueType(key);
        if (type != GgufValueType.Array) return new GgufValue(type, ReadScalar(ref cursor, type, key));

        var elementType = cursor.ValueType(key);
        if (elementType == GgufValueType.Array)
            throw new ModelFormatException($"{cursor.Path}: metadata '{InputQuote.Cap(key)}' is an array of arrays, which no model uses and this reader does not read");
        ulong count = cursor.UInt64();
        cursor.RequireCount(count, GgufValueTypes.MinimumBytes(elementType), $"elements of metadata array '{InputQuote.Cap(key)}'");
        int n = (int)count;
        Array array = elementType switch
        {
            GgufValueType.UInt8 => cursor.Fill(new byte[n], static (ref Cursor c) => c.Byte()),
            GgufValueType.Int8 => cursor.Fill(new sbyte[n], static (ref Cursor c) => (sbyte)c.Byte()),
            GgufValueType.UInt16 => cursor.Fill(new ushort[n], static (ref Cursor c) => c.UInt16()),
            GgufValueType.Int16 => cursor.Fill(new short[n], static (ref Cursor c) => (short)c.UInt16()),
            GgufValueType.UInt32 => cursor.Fill(new uint[n], static (ref Cursor c) => c.UInt32()),
            GgufValueType.Int32 => cursor.Fill(new int[n], static (ref Cursor c) => (int)c.UInt32()),
            GgufValueType.Float32 => cursor.Fill(new float[n], static (ref Cursor c) => BitConverter.UInt32BitsToSingle(c.UInt32())),
            GgufValueType.UInt64 => cursor.Fill(new ulong[n], static (ref Cursor c) => c.UInt64()),
            GgufValueType.Int64 => cursor.Fill(new long[n], static (ref Cursor c) => (long)c.UInt64()),
            GgufValueType.Float64 => cursor.Fill(new double[n], static (ref Cursor c) => BitConverter.UInt64BitsToDouble(c.UInt64())),
            GgufValueType.Bool => ReadBools(ref cursor, n, key),
            GgufValueType.String => ReadStrings(ref cursor, n, key),
            _ => throw new InvalidOperationException("unreachable: value types are checked when read"),
        };
        return new GgufValue(GgufValueType.Array, array, elementType);
    }

    private static bool[] ReadBools(ref Cursor cursor, int count, string key)
    {
        var result = new bool[count];
        for (int i = 0; i < count; i++) result[i] = cursor.Bool(key);
        return result;
    }

    private static string[] ReadStrings(ref Cursor cursor, int count, string key)
    {
        var result = new string[count];
        for (int i = 0; i < count; i++) result[i] = cursor.String($"metadata '{InputQuote.Cap(key)}'[{i}]");
        return result;
    }

    private static object ReadScalar(ref Cursor cursor, GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => (long)cursor.Byte(),
        GgufValueType.Int8 => (long)(sbyte)cursor.Byte(),
        GgufValueType.UInt16 => (long)cursor.UInt16(),
        GgufValueType.Int16 => (long)(short)cursor.UInt16(),
        GgufValueType.UInt32 => (long)cursor.UInt32(),
        GgufValueType.Int32 => (long)(int)cursor.UInt32(),
        GgufValueType.UInt64 => cursor.UInt64(),
        GgufValueType.Int64 => (long)cursor.UInt64(),
        GgufValueType.Float32 => (double)BitConverter.UInt32BitsToSingle(cursor.UInt32()),
        GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(cursor.UInt64()),
        GgufValueType.Bool => cursor.Bool(key),
        GgufValueType.String => cursor.String($"metadata '{InputQuote.Cap(key)}'"),
        _ => throw new InvalidOperationException("unreachable: value types are checked when read"),
    };

    private static int ReadAlignment(GgufMetadata metadata, string path)
    {
        if (!metadata.TryGet("general.alignment", out var value)) return GgufFile.DefaultAlignment;
        // The spec stores it as uint32; ggml rejects any other type, and so does this reader.
        if (value.Type != GgufValueType.UInt32)
            throw new ModelFormatException($"{path}: general.alignment must be a uint32, but is {value.Type}");
        long alignment = (long)value.Value;
        if (alignment is <= 0 or > 1 << 20 || (alignment & (alignment - 1)) != 0)
            throw new ModelFormatException($"{path}: general.alignment {alignment} is not a power of two between 1 and 1048576");
        return (int)alignment;
    }

    private static GgufTensorInfo ReadTensorInfo(ref Cursor cursor, int index, string path)
    {
        string name = cursor.String($"the name of tensor {index}");
        string quoted = InputQuote.Cap(name);
        uint dimensionCount = cursor.UInt32();
        if (dimensionCount is 0 or > MaxDimensions)
            throw new ModelFormatException($"{path}: tensor '{quoted}' has {dimensionCount} dimensions; GGUF tensors have 1 to {MaxDimensions}");
        var dimensions = new long[dimensionCount];
        long elements = 1;
        for (int d = 0; d < dimensions.Length; d++)
        {
            ulong size = cursor.UInt64();
            // The engine's shapes are ints, and the element count must stay far from overflow (2^40 is 1 TiB at one byte).
            if (size is 0 or > int.MaxValue)
                throw new ModelFormatException($"{path}: tensor '{quoted}' has dimension {d} of size {size}; expected 1 to {int.MaxValue}");
            dimensions[d] = (long)size;
            elements *= (long)size;
            if (elements > 1L << 40)
                throw new ModelFormatException($"{path}: tensor '{quoted}' has more than 2^40 elements");
        }

        uint typeNumber = cursor.UInt32();
        var type = (GgmlType)typeNumber;
        if (!GgmlTypes.TryGetLayout(type, out int blockSize, out int blockBytes))
            throw new ModelFormatException($"{path}: tensor '{quoted}' has ggml type {typeNumber}, which this reader does not know");
        if (dimensions[0] % blockSize != 0)
            throw new ModelFormatException(
                $"{path}: tensor '{quoted}' is {GgmlTypes.Name(type)} with rows of {dimensions[0]} values, not a whole number of {blockSize}-value blocks");
        ulong offset = cursor.UInt64();
        if (offset > long.MaxValue)
            throw new ModelFormatException($"{path}: tensor '{quoted}' has offset {offset}, beyond any file");
        return new GgufTensorInfo(name, type, dimensions, (long)offset, elements / blockSize * blockBytes);
    }

    /// <summary>Every tensor aligned, inside the data region, and overlapping no other.</summary>
    private static void CheckPlacement(GgufTensorInfo[] tensors, int alignment, long dataLength, string path)
    {
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
                throw new ModelFormatException($"{path}: tensor '{InputQuote.Cap(t.Name)}' starts at data offset {t.Offset}, not a multiple of the alignment {alignment}");
            if (t.Offset > dataLength || t.ByteLength > dataLength - t.Offset)
                throw new ModelFormatException(
                    $"{path}: tensor '{InputQuote.Cap(t.Name)}' occupies data bytes [{t.Offset}, {t.Offset + t.ByteLength}), beyond the {dataLength}-byte data region");
        }
        var byOffset = tensors.OrderBy(t => t.Offset).ToArray();
        for (int i = 1; i < byOffset.Length; i++)
        {
            var (previous, next) = (byOffset[i - 1], byOffset[i]);
            if (previous.Offset + previous.ByteLength > next.Offset)
                throw new ModelFormatException(
                    $"{path}: tensors '{InputQuote.Cap(previous.Name)}' [{previous.Offset}, {previous.Offset + previous.ByteLength}) and '{InputQuote.Cap(next.Name)}' [{next.Offset}, …) overlap");
        }
    }

    private static long AlignUp(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(" ", bytes.ToArray().Select(b => $"{b:X2}"));

    /// <summary>A bounds-checked little-endian reader over the header bytes.</summary>
    internal ref struct Cursor(ReadOnlySpan<byte> bytes, string path)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public readonly string Path => path;

        public delegate T ElementReader<T>(ref Cursor cursor);

        public T[] Fill<T>(T[] destination, ElementReader<T> read)
        {
            for (int i = 0; i < destination.Length; i++) destination[i] = read(ref this);
            return destination;
        }

        public void Skip(int count) => Take(count);

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public bool Bool(string key) => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new ModelFormatException($"{path}: metadata '{InputQuote.Cap(key)}' holds bool byte {b}; a GGUF bool is 0 or 1"),
        };

        public GgufValueType ValueType(string key)
        {
            uint type = UInt32();
            return GgufValueTypes.IsDefined(type)
                ? (GgufValueType)type
                : throw new ModelFormatException($"{path}: metadata '{InputQuote.Cap(key)}' has value type {type}, which GGUF does not define");
        }

        /// <summary>
        /// A length-prefixed UTF-8 string. Invalid UTF-8 decodes with replacement characters rather than failing: real
        /// vocabularies hold a few pieces that are partial characters, and llama.cpp treats these strings as bytes.
        /// </summary>
        public string String(string what)
        {
            ulong length = UInt64();
            if (length > (ulong)(_bytes.Length - Position))
                throw new ModelFormatException($"{path}: {what} claims {length} bytes at byte {Position}, but only {_bytes.Length - Position} follow");
            return Encoding.UTF8.GetString(Take((int)length));
        }

        /// <summary>Refuses a count whose elements, at their smallest, could not fit in what is left of the file.</summary>
        public readonly void RequireCount(ulong count, int minimumBytesEach, string what)
        {
            ulong left = (ulong)(_bytes.Length - Position);
            if (count > left / (ulong)minimumBytesEach)
                throw new ModelFormatException($"{path}: {count} {what} cannot fit in the {left} bytes left at byte {Position}");
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _bytes.Length - Position)
                throw new ModelFormatException($"{path}: the header is cut off at byte {_bytes.Length} (needed {count} more bytes at byte {Position})");
            var slice = _bytes.Slice(Position, count);
            Position += count;
            return slice;
        }
    }
}
