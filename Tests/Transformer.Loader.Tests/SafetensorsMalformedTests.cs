using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

public sealed class SafetensorsMalformedTests
{
    private static ModelFormatException Rejected(byte[] bytes, out string path)
    {
        using var dir = new TempDirectory();
        path = dir.WriteBytes("bad.safetensors", bytes);
        string p = path;
        return Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(p).Dispose());
    }

    private static void AssertRejected(string header, byte[] data, params string[] fragments)
    {
        var error = Rejected(SafetensorsBytes.Raw(header, data), out string path);
        Assert.Contains(path, error.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void File_shorter_than_the_length_prefix(int length)
    {
        var error = Rejected(new byte[length], out _);
        Assert.Contains("shorter than the 8-byte header length", error.Message);
    }

    [Fact]
    public void Header_length_beyond_the_file()
    {
        var bytes = SafetensorsBytes.Raw("{}", []);
        bytes[0] = 200;
        Assert.Contains("runs past the end of the file", Rejected(bytes, out _).Message);
    }

    [Fact]
    public void Absurd_header_length()
    {
        var bytes = SafetensorsBytes.Raw("{}", []);
        BitConverter.GetBytes(ulong.MaxValue).CopyTo(bytes, 0);
        Assert.Contains("exceeds the 100000000-byte limit", Rejected(bytes, out _).Message);
    }

    [Theory]
    [InlineData("{\"a\": ", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("{\"w\": 5}", "tensor 'w'", "entry must be an object")]
    [InlineData("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", "tensor 'w'", "missing 'dtype'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", "tensor 'w'", "missing 'shape'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", "tensor 'w'", "missing 'data_offsets'")]
    [InlineData("{\"w\": {\"dtype\": 3, \"shape\": [1], \"data_offsets\": [0, 4]}}", "tensor 'w'", "'dtype' must be a string")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": \"1\", \"data_offsets\": [0, 4]}}", "tensor 'w'", "'shape' must be an array")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", "tensor 'w'", "shape entry 0 must be an integer")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", "tensor 'w'", "'data_offsets' must be an array of two integers")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, \"4\"]}}", "tensor 'w'", "data_offsets entry 1")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", "'__metadata__' value of 'k' must be a string")]
    [InlineData("{\"__metadata__\": [1]}", "'__metadata__' must be an object")]
    public void Malformed_json(string header, params string[] fragments) => AssertRejected(header, new byte[4], fragments);

    [Fact]
    public void Invalid_utf8_header()
    {
        var error = Rejected(SafetensorsBytes.Raw([(byte)'{', 0xFF, (byte)'}'], []), out _);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void Unknown_dtype_lists_the_supported_ones() =>
        AssertRejected("{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", new byte[8],
            "tensor 'w'", "unknown dtype 'F64'", "F32, F16, BF16, I8, U8, I32");

    [Fact]
    public void Negative_dimension() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1, 4], \"data_offsets\": [0, 4]}}", new byte[4],
            "tensor 'w'", "shape entry 0 is negative");

    [Fact]
    public void Shape_product_overflow() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647], \"data_offsets\": [0, 4]}}",
            new byte[4], "tensor 'w'", "more bytes than a 64-bit count");

    [Fact]
    public void Offsets_outside_the_data_region() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", new byte[4],
            "tensor 'w'", "outside the data region of 4 bytes");

    [Fact]
    public void End_before_begin() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", new byte[8],
            "tensor 'w'", "end 0 is before begin 4");

    [Fact]
    public void Byte_length_disagrees_with_dtype_and_shape() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", new byte[12],
            "tensor 'w'", "span 8 bytes", "F32[3] needs 12");

    [Fact]
    public void Overlapping_tensors() =>
        AssertRejected(
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
            new byte[12], "tensor 'b'", "overlap tensor 'a'");

    [Fact]
    public void Duplicate_tensor_names() =>
        AssertRejected(
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
            new byte[8], "duplicate tensor name 'w'");

    [Fact]
    public void Duplicate_fields_within_an_entry() =>
        AssertRejected("{\"w\": {\"dtype\": \"F32\", \"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4],
            "tensor 'w'", "duplicate field 'dtype'");

    [Fact]
    public void Missing_file_is_a_file_not_found_error()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(dir.File("absent.safetensors")));
    }
}
