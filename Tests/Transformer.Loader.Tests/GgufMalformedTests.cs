using Transformer.Loader.Gguf;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>Each way a GGUF file can be wrong gets a <see cref="ModelFormatException"/> that says which.</summary>
public sealed class GgufMalformedTests
{
    private static string Rejected(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("bad.gguf", bytes);
        var error = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.StartsWith(path, error.Message);
        return error.Message;
    }

    private static GgufBytes OneTensor(GgmlType type, ulong offset, params ulong[] dimensions) =>
        new GgufBytes().Header(3, 1, 0).Tensor("blk.0.attn_q.weight", type, offset, dimensions).Pad();

    [Fact]
    public void Bad_magic() => Assert.Contains("not the magic \"GGUF\"", Rejected([.. "GGML"u8, .. new byte[40]]));

    [Fact]
    public void Shorter_than_the_header() => Assert.Contains("shorter than the 24-byte GGUF header", Rejected([.. "GGUF"u8, 3, 0, 0, 0]));

    [Theory]
    [InlineData(1u, "version 1")]
    [InlineData(4u, "version 4 is not supported")]
    public void Unsupported_versions(uint version, string expected) =>
        Assert.Contains(expected, Rejected(new GgufBytes().Header(version, 0, 0).ToArray()));

    [Fact]
    public void Absurd_key_value_count_is_refused_before_allocating() =>
        Assert.Contains("metadata key/value pairs cannot fit", Rejected(new GgufBytes().Header(3, 0, ulong.MaxValue).ToArray()));

    [Fact]
    public void Absurd_tensor_count_is_refused_before_allocating() =>
        Assert.Contains("tensor descriptors cannot fit", Rejected(new GgufBytes().Header(3, 1UL << 60, 0).ToArray()));

    [Fact]
    public void String_beyond_the_file() =>
        Assert.Contains("claims 1000000 bytes", Rejected(new GgufBytes().Header(3, 0, 1).U64(1_000_000).Raw("abc"u8).Data(20).ToArray()));

    [Fact]
    public void Array_beyond_the_file() =>
        Assert.Contains("elements of metadata array 'tokenizer.ggml.scores' cannot fit",
            Rejected(new GgufBytes().Header(3, 0, 1).String("tokenizer.ggml.scores").U32(9).U32(6).U64(1UL << 50).ToArray()));

    [Fact]
    public void String_array_counts_are_bounded_by_their_length_prefixes() =>
        // 100 bytes follow, and every string needs at least its 8-byte length: 13 strings cannot fit.
        Assert.Contains("cannot fit", Rejected(new GgufBytes().Header(3, 0, 1).String("t").U32(9).U32(8).U64(13).Data(100, 0).ToArray()));

    [Fact]
    public void Nested_arrays() =>
        Assert.Contains("array of arrays", Rejected(new GgufBytes().Header(3, 0, 1).String("x").U32(9).U32(9).U64(1).ToArray()));

    [Fact]
    public void Unknown_value_type() =>
        Assert.Contains("value type 13, which GGUF does not define", Rejected(new GgufBytes().Header(3, 0, 1).String("x").U32(13).U32(0).ToArray()));

    [Fact]
    public void Bool_that_is_neither_0_nor_1() =>
        Assert.Contains("bool byte 2", Rejected(new GgufBytes().Header(3, 0, 1).String("b").U32(7).Raw([2]).ToArray()));

    [Fact]
    public void Duplicate_key() =>
        Assert.Contains("appears twice", Rejected(new GgufBytes().Header(3, 0, 2).KeyU32("a", 1).KeyU32("a", 2).ToArray()));

    [Theory]
    [InlineData(0u, "not a power of two")]
    [InlineData(24u, "not a power of two")]
    public void Bad_alignment(uint alignment, string expected) =>
        Assert.Contains(expected, Rejected(new GgufBytes().Header(3, 0, 1).KeyU32("general.alignment", alignment).ToArray()));

    [Fact]
    public void Alignment_of_the_wrong_type() =>
        Assert.Contains("general.alignment must be a uint32", Rejected(new GgufBytes().Header(3, 0, 1).KeyString("general.alignment", "32").ToArray()));

    [Fact]
    public void Unknown_tensor_type() =>
        Assert.Contains("ggml type 99, which this reader does not know", Rejected(OneTensor((GgmlType)99, 0, 4).Data(64).ToArray()));

    [Fact]
    public void Rows_not_a_whole_number_of_blocks() =>
        Assert.Contains("not a whole number of 32-value blocks", Rejected(OneTensor(GgmlType.Q8_0, 0, 48, 2).Data(256).ToArray()));

    /// <summary>K-quant rows are whole 256-value super-blocks; a Q4_K or Q6_K matrix of 128-value rows is refused.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void K_quant_rows_not_a_whole_number_of_super_blocks(GgmlType type) =>
        Assert.Contains("not a whole number of 256-value blocks", Rejected(OneTensor(type, 0, 128, 2).Data(512).ToArray()));

    /// <summary>A Q4_K matrix whose data would run past the end of the file is refused before any of it is read.</summary>
    [Fact]
    public void K_quant_data_beyond_the_file() =>
        Assert.Contains("occupies data bytes [0, 576), beyond the", Rejected(OneTensor(GgmlType.Q4_K, 0, 256, 4).Data(144).ToArray()));

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    public void Bad_dimension_count(uint count) =>
        Assert.Contains($"has {count} dimensions", Rejected(new GgufBytes().Header(3, 1, 0).String("t").U32(count)
            .Data(80, 1).ToArray()));

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 31)] // fits a Q4_0 tensor under 2 GiB, but not the engine's int shapes
    public void Absurd_dimension_is_refused(ulong size) =>
        Assert.Contains($"of size {size}", Rejected(OneTensor(GgmlType.Q4_0, 0, size).Data(64).ToArray()));

    [Fact]
    public void Element_count_overflow_is_refused() =>
        Assert.Contains("more than 2^40 elements", Rejected(OneTensor(GgmlType.F32, 0, 1UL << 30, 1UL << 30, 2).Data(64).ToArray()));

    [Fact]
    public void Tensor_offset_outside_the_data() =>
        Assert.Contains("beyond the 64-byte data region", Rejected(OneTensor(GgmlType.F32, 64, 4).Data(64).ToArray()));

    [Fact]
    public void Tensor_running_past_the_end() =>
        Assert.Contains("occupies data bytes [0, 400)", Rejected(OneTensor(GgmlType.F32, 0, 100).Data(64).ToArray()));

    [Fact]
    public void Huge_offset_does_not_overflow() =>
        Assert.Contains("beyond", Rejected(OneTensor(GgmlType.F32, (ulong)long.MaxValue - 31, 4).Data(64).ToArray()));

    [Fact]
    public void Misaligned_tensor() =>
        Assert.Contains("not a multiple of the alignment 32", Rejected(OneTensor(GgmlType.F32, 4, 4).Data(64).ToArray()));

    [Fact]
    public void Overlapping_tensors() =>
        Assert.Contains("overlap", Rejected(new GgufBytes().Header(3, 2, 0)
            .Tensor("a", GgmlType.F32, 0, 16).Tensor("b", GgmlType.F32, 32, 16).Pad().Data(128).ToArray()));

    [Fact]
    public void Duplicate_tensor_name() =>
        Assert.Contains("described twice", Rejected(new GgufBytes().Header(3, 2, 0)
            .Tensor("a", GgmlType.F32, 0, 8).Tensor("a", GgmlType.F32, 32, 8).Pad().Data(64).ToArray()));

    [Fact]
    public void Data_region_missing_entirely() =>
        Assert.Contains("past the end", Rejected(new GgufBytes().Header(3, 1, 0).Tensor("a", GgmlType.F32, 0, 8).ToArray()));

    [Fact]
    public void Cut_off_header() =>
        Assert.Contains("the header is cut off", Rejected(new GgufBytes().Header(3, 0, 1).String("key").U32(6).Raw([0, 0]).ToArray()));
}
