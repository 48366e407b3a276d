using System.Text;
using Transformer.Loader;

namespace Transformer.Tokenizers.SentencePiece;

/// <summary>SentencePiece's piece types (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry of a SentencePiece model.</summary>
internal readonly record struct SentencePieceEntry(string Piece, float Score, SentencePieceType Type);

/// <summary>
/// Reads the vocabulary (field 1, <c>repeated SentencePiece pieces</c>) of a SentencePiece <c>ModelProto</c>.
/// Microsoft.ML.Tokenizers parses the same protobuf but keeps piece types internal, and decoding needs them
/// (byte pieces become raw bytes, control pieces vanish), so this small wire-format reader recovers them.
/// It also rejects a file that is not a model with a clear message before the library sees it.
/// </summary>
internal static class SentencePieceModelPieces
{
    private const int WireVarint = 0, WireFixed64 = 1, WireLengthDelimited = 2, WireFixed32 = 5;

    public static SentencePieceEntry[] Read(ReadOnlySpan<byte> model, string sourceName)
    {
        var entries = new List<SentencePieceEntry>();
        var reader = new ProtoReader(model, sourceName);
        while (!reader.AtEnd)
        {
            (int field, int wire) = reader.ReadTag();
            if (field == 1 && wire == WireLengthDelimited)
            {
                entries.Add(ReadPiece(reader.ReadLengthDelimited(), sourceName, entries.Count));
            }
            else
            {
                reader.Skip(wire);
            }
        }

        if (entries.Count == 0)
        {
            throw new ModelFormatException($"{sourceName}: SentencePiece model has no pieces; it is not a SentencePiece ModelProto.");
        }

        return [.. entries];
    }

    private static SentencePieceEntry ReadPiece(ReadOnlySpan<byte> message, string sourceName, int id)
    {
        string? piece = null;
        float score = 0;
        var type = SentencePieceType.Normal; // the proto's default
        var reader = new ProtoReader(message, sourceName);
        while (!reader.AtEnd)
        {
            (int field, int wire) = reader.ReadTag();
            switch (field, wire)
            {
                case (1, WireLengthDelimited):
                    piece = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case (2, WireFixed32):
                    score = reader.ReadFixed32Single();
                    break;
                case (3, WireVarint):
                    ulong value = reader.ReadVarint();
                    type = value is >= 1 and <= 6
                        ? (SentencePieceType)value
                        : throw new ModelFormatException($"{sourceName}: SentencePiece piece {id} has unknown type {value}.");
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return new SentencePieceEntry(
            piece ?? throw new ModelFormatException($"{sourceName}: SentencePiece piece {id} has no text."), score, type);
    }

    /// <summary>Protobuf wire-format cursor over a span; every read is bounds-checked.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data, string sourceName)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _offset;

        public readonly bool AtEnd => _offset >= _data.Length;

        public (int Field, int Wire) ReadTag()
        {
            ulong tag = ReadVarint();
            int field = (int)(tag >> 3);
            if (field == 0)
            {
                throw Malformed("field number 0");
            }

            return (field, (int)(tag & 7));
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_offset >= _data.Length)
                {
                    throw Malformed("a varint runs past the end of the data");
                }

                byte b = _data[_offset++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw Malformed("a varint is longer than 10 bytes");
        }

        public ReadOnlySpan<byte> ReadLengthDelimited()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _offset))
            {
                throw Malformed($"a field of {length} bytes runs past the end of the data ({_data.Length - _offset} left)");
            }

            ReadOnlySpan<byte> slice = _data.Slice(_offset, (int)length);
            _offset += (int)length;
            return slice;
        }

        public float ReadFixed32Single()
        {
            Need(4);
            float value = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(_data[_offset..]);
            _offset += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint: ReadVarint(); break;
                case WireFixed64: Need(8); _offset += 8; break;
                case WireLengthDelimited: ReadLengthDelimited(); break;
                case WireFixed32: Need(4); _offset += 4; break;
                default: throw Malformed($"unsupported wire type {wire}");
            }
        }

        private readonly void Need(int count)
        {
            if (_data.Length - _offset < count)
            {
                throw Malformed($"a {count}-byte field runs past the end of the data");
            }
        }

        private readonly ModelFormatException Malformed(string problem)
            => new($"{sourceName}: not a valid SentencePiece model (protobuf at byte {_offset}: {problem}).");
    }
}
