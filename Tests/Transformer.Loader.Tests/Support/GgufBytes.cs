using System.Text;
using Transformer.Loader.Gguf;

namespace Transformer.Loader.Tests.Support;

/// <summary>
/// Builds GGUF bytes field by field, so a test can write any value type and any wrong count, offset or type
/// that <see cref="GgufWriter"/> (which only writes valid files) refuses to produce.
/// </summary>
public sealed class GgufBytes
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _w;

    public GgufBytes() => _w = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);

    public GgufBytes Header(uint version, ulong tensors, ulong keyValues)
    {
        _w.Write("GGUF"u8);
        _w.Write(version);
        _w.Write(tensors);
        _w.Write(keyValues);
        return this;
    }

    public GgufBytes String(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        _w.Write((ulong)bytes.Length);
        _w.Write(bytes);
        return this;
    }

    public GgufBytes U32(uint value) { _w.Write(value); return this; }
    public GgufBytes U64(ulong value) { _w.Write(value); return this; }
    public GgufBytes Raw(ReadOnlySpan<byte> bytes) { _w.Write(bytes); return this; }

    public GgufBytes KeyU32(string key, uint value) => String(key).U32((uint)GgufValueType.UInt32).U32(value);
    public GgufBytes KeyString(string key, string value) => String(key).U32((uint)GgufValueType.String).String(value);

    public GgufBytes Tensor(string name, GgmlType type, ulong offset, params ulong[] dimensions)
    {
        String(name).U32((uint)dimensions.Length);
        foreach (ulong d in dimensions) U64(d);
        return U32((uint)type).U64(offset);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/>.</summary>
    public GgufBytes Pad(int alignment = GgufFile.DefaultAlignment)
    {
        while (_stream.Length % alignment != 0) _w.Write((byte)0);
        return this;
    }

    public GgufBytes Data(int count, byte fill = 0x11)
    {
        for (int i = 0; i < count; i++) _w.Write(fill);
        return this;
    }

    public byte[] ToArray()
    {
        _w.Flush();
        return _stream.ToArray();
    }

    /// <summary>A valid file written by <see cref="GgufWriter"/> (metadata of several types, three tensors).</summary>
    public static byte[] Valid()
    {
        var stream = new MemoryStream();
        using (var gguf = new GgufWriter(new NonClosing(stream)))
        {
            gguf.Add("general.architecture", "llama");
            gguf.Add("llama.block_count", 2u);
            gguf.Add("llama.rope.freq_base", 10000f);
            gguf.Add("tokenizer.ggml.add_bos_token", true);
            gguf.Add("tokenizer.ggml.tokens", ["<unk>", "<s>", "▁a"]);
            gguf.Add("tokenizer.ggml.scores", [0f, 0f, -1.5f]);
            gguf.Add("tokenizer.ggml.token_type", [2, 3, 1]);
            gguf.DeclareTensor("token_embd.weight", GgmlType.F32, 4, 3);
            gguf.DeclareTensor("blk.0.attn_q.weight", GgmlType.Q8_0, 32, 2);
            gguf.DeclareTensor("output_norm.weight", GgmlType.F16, 4);
            gguf.WriteHeader();
            gguf.WriteTensorData("token_embd.weight", Enumerable.Range(0, 48).Select(i => (byte)i).ToArray());
            gguf.WriteTensorData("blk.0.attn_q.weight", Enumerable.Range(0, 68).Select(i => (byte)(i * 3)).ToArray());
            gguf.WriteTensorData("output_norm.weight", [0, 0x3C, 0, 0x40, 0, 0x42, 0, 0x44]);
        }
        return stream.ToArray();
    }

    /// <summary>Lets the writer dispose its stream without closing the memory stream under it.</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
