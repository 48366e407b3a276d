using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

public sealed class SafetensorsRoundTripTests
{
    [Fact]
    public void Every_dtype_shape_and_byte_survives_a_write_and_read()
    {
        HostTensor[] tensors =
        [
            SafetensorsBytes.Pattern("f32.matrix", DType.F32, 3, 5),
            SafetensorsBytes.Pattern("f16.vector", DType.F16, 7),
            SafetensorsBytes.Pattern("bf16.cube", DType.BF16, 2, 3, 4),
            SafetensorsBytes.Pattern("i8.odd", DType.I8, 13),
            SafetensorsBytes.Pattern("u8.odd", DType.U8, 3, 3),
            SafetensorsBytes.Pattern("i32.scalar", DType.I32),
        ];
        using var dir = new TempDirectory();
        string path = dir.File("all.safetensors");
        SafetensorsWriter.Write(path, tensors);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        foreach (var expected in tensors)
        {
            var actual = file.Get(expected.Name);
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.True(expected.Data.Span.SequenceEqual(actual.Data.Span), $"bytes of {expected.Name} differ");
        }
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Metadata_round_trips_including_non_ascii_and_escapes()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["note"] = "quotes \" backslash \\ newline \n é 漢字",
        };
        using var dir = new TempDirectory();
        string path = dir.File("meta.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsBytes.Pattern("w", DType.F32, 2)], metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
    }

    [Fact]
    public void Zero_size_tensors_and_an_empty_file_are_legal()
    {
        HostTensor[] tensors =
        [
            new("empty.rows", DType.F32, [0, 4], ReadOnlyMemory<byte>.Empty),
            SafetensorsBytes.Pattern("data", DType.F32, 2),
            new("empty.cols", DType.BF16, [3, 0], ReadOnlyMemory<byte>.Empty),
        ];
        using var dir = new TempDirectory();
        string path = dir.File("zero.safetensors");
        SafetensorsWriter.Write(path, tensors);
        using (var file = SafetensorsFile.Open(path))
        {
            Assert.Equal(0, file.Get("empty.rows", 0, 4).ElementCount);
            Assert.Equal(0, file.Get("empty.cols", 3, 0).ElementCount);
            Assert.Equal(2, file.Get("data", 2).ElementCount);
        }

        string none = dir.File("none.safetensors");
        SafetensorsWriter.Write(none, []);
        using var emptyFile = SafetensorsFile.Open(none);
        Assert.Empty(emptyFile.Tensors);
    }

    [Fact]
    public void Writer_pads_the_header_so_data_starts_8_byte_aligned()
    {
        foreach (int nameLength in Enumerable.Range(1, 9))
        {
            byte[] bytes = SafetensorsBytes.Written([SafetensorsBytes.Pattern(new string('x', nameLength), DType.U8, 1)]);
            ulong headerLength = BitConverter.ToUInt64(bytes, 0);
            Assert.Equal(0UL, (8 + headerLength) % 8);
            Assert.Equal((byte)'}', bytes[8..(8 + (int)headerLength)].Last(b => b != (byte)' '));
        }
    }

    [Fact]
    public void F32_tensors_view_the_mapping_without_copying()
    {
        float[] values = [1.5f, -2f, 3.25f, 0f, 1e-7f, float.MaxValue];
        using var dir = new TempDirectory();
        string path = dir.File("f32.safetensors");
        SafetensorsWriter.Write(path, [HostTensor.FromFloats("w", values, 2, 3)]);

        using var file = SafetensorsFile.Open(path);
        var tensor = file.Get("w", 2, 3);
        Assert.Equal(values, tensor.AsFloat32().ToArray());
        // A managed copy would be backed by an array; a mapped view is not.
        Assert.False(MemoryMarshal.TryGetArray(tensor.Data, out _));
    }

    [Fact]
    public void Writer_refuses_duplicate_and_reserved_names()
    {
        var tensor = SafetensorsBytes.Pattern("w", DType.F32, 1);
        var duplicate = Assert.Throws<ArgumentException>(() => SafetensorsBytes.Written([tensor, tensor]));
        Assert.Contains("duplicate tensor name 'w'", duplicate.Message);
        var reserved = Assert.Throws<ArgumentException>(() =>
            SafetensorsBytes.Written([SafetensorsBytes.Pattern("__metadata__", DType.F32, 1)]));
        Assert.Contains("reserved", reserved.Message);
    }

    [Fact]
    public void Lookups_after_dispose_are_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsBytes.Pattern("w", DType.F32, 1)]);
        var file = SafetensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.TryGet("w", out _));
    }
}
