using Transformer.Loader.Gguf;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>What <see cref="GgufWriter"/> writes, <see cref="GgufFile"/> reads back: metadata, descriptors, aligned data.</summary>
public sealed class GgufFileTests
{
    [Fact]
    public void Reads_back_metadata_of_every_written_type()
    {
        using var dir = new TempDirectory();
        using var file = GgufFile.Open(dir.WriteBytes("m.gguf", GgufBytes.Valid()));

        Assert.Equal(3u, file.Version);
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(2, file.Metadata.RequiredInt("llama.block_count"));
        Assert.Equal(10000f, file.Metadata.RequiredFloat("llama.rope.freq_base"));
        Assert.True(file.Metadata.OptionalBool("tokenizer.ggml.add_bos_token"));
        Assert.Equal(["<unk>", "<s>", "▁a"], file.Metadata.OptionalStringArray("tokenizer.ggml.tokens")!);
        Assert.Equal([0f, 0f, -1.5f], file.Metadata.OptionalFloatArray("tokenizer.ggml.scores")!);
        Assert.Equal([2, 3, 1], file.Metadata.OptionalIntArray("tokenizer.ggml.token_type")!);
        Assert.Null(file.Metadata.OptionalString("general.name"));
        Assert.Equal(["general.architecture", "llama.block_count", "llama.rope.freq_base", "tokenizer.ggml.add_bos_token",
            "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"], file.Metadata.Keys);
    }

    [Fact]
    public void Tensors_have_row_major_shapes_and_view_their_aligned_bytes()
    {
        using var dir = new TempDirectory();
        using var file = GgufFile.Open(dir.WriteBytes("m.gguf", GgufBytes.Valid()));

        Assert.Equal(["token_embd.weight", "blk.0.attn_q.weight", "output_norm.weight"], file.Tensors.Select(t => t.Name));
        Assert.True(file.TryGetTensor("token_embd.weight", out var embedding));
        Assert.Equal([3, 4], embedding.Shape);
        Assert.Equal(GgmlType.F32, embedding.Type);
        Assert.Equal(Enumerable.Range(0, 48).Select(i => (byte)i), file.Data(embedding).ToArray());

        Assert.True(file.TryGetTensor("blk.0.attn_q.weight", out var q));
        Assert.Equal(68, q.ByteLength); // two Q8_0 blocks of 34 bytes
        Assert.Equal(Enumerable.Range(0, 68).Select(i => (byte)(i * 3)), file.Data(q).ToArray());
        Assert.All(file.Tensors, t => Assert.Equal(0, (file.DataOffset + t.Offset) % GgufFile.DefaultAlignment));
    }

    [Fact]
    public void Version_2_and_every_scalar_type_are_read()
    {
        var bytes = new GgufBytes().Header(2, 0, 12)
            .String("u8").U32(0).Raw([200])
            .String("i8").U32(1).Raw([0xFF])
            .String("u16").U32(2).Raw([0x34, 0x12])
            .String("i16").U32(3).Raw([0xFE, 0xFF])
            .String("u32").U32(4).U32(4_000_000_000)
            .String("i32").U32(5).U32(unchecked((uint)-7))
            .String("f32").U32(6).U32(BitConverter.SingleToUInt32Bits(0.25f))
            .String("bool").U32(7).Raw([1])
            .String("str").U32(8).String("hé")
            .String("u64").U32(10).U64(1UL << 40)
            .String("i64").U32(11).U64(unchecked((ulong)-3L))
            .String("f64").U32(12).U64(BitConverter.DoubleToUInt64Bits(-2.5))
            .ToArray();
        using var dir = new TempDirectory();
        using var file = GgufFile.Open(dir.WriteBytes("v2.gguf", bytes));
        var m = file.Metadata;
        Assert.Equal(2u, file.Version);
        Assert.Equal(200, m.RequiredInt("u8"));
        Assert.Equal(-1, m.RequiredInt("i8"));
        Assert.Equal(0x1234, m.RequiredInt("u16"));
        Assert.Equal(-2, m.RequiredInt("i16"));
        Assert.Throws<ModelFormatException>(() => m.RequiredInt("u32")); // 4e9 does not fit an int
        Assert.Equal(-7, m.RequiredInt("i32"));
        Assert.Equal(0.25f, m.RequiredFloat("f32"));
        Assert.True(m.OptionalBool("bool"));
        Assert.Equal("hé", m.RequiredString("str"));
        Assert.Equal(-3, m.RequiredInt("i64"));
        Assert.Equal(-2.5f, m.RequiredFloat("f64"));
        var wrongType = Assert.Throws<ModelFormatException>(() => m.RequiredString("u8"));
        Assert.Contains("'u8' should be a string", wrongType.Message);
        Assert.Contains("'missing' is missing", Assert.Throws<ModelFormatException>(() => m.RequiredInt("missing")).Message);
    }

    [Fact]
    public void A_custom_alignment_places_the_data_region_and_tensors_on_it()
    {
        var bytes = new GgufBytes().Header(3, 1, 1).KeyU32("general.alignment", 64)
            .Tensor("t", GgmlType.F32, 0, 4).Pad(64).Data(16).ToArray();
        using var dir = new TempDirectory();
        using var file = GgufFile.Open(dir.WriteBytes("a.gguf", bytes));
        Assert.Equal(64, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal(Enumerable.Repeat((byte)0x11, 16), file.Data(file.Tensors[0]).ToArray());
    }

    [Fact]
    public void HasMagic_tells_gguf_from_other_files()
    {
        using var dir = new TempDirectory();
        Assert.True(GgufFile.HasMagic(dir.WriteBytes("m.gguf", GgufBytes.Valid())));
        Assert.False(GgufFile.HasMagic(dir.WriteBytes("x.bin", [1, 2, 3, 4, 5])));
        Assert.False(GgufFile.HasMagic(dir.WriteBytes("short", [(byte)'G'])));
    }
}
