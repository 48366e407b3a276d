using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>
/// Whatever happens to a file's bytes, opening it either succeeds with tensors that can be read end to end,
/// or fails with <see cref="ModelFormatException"/>: never another exception type, a crash or a hang.
/// </summary>
public sealed class SafetensorsCorruptionProperties
{
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(10);

    private static readonly byte[] Valid = SafetensorsBytes.Written(
    [
        SafetensorsBytes.Pattern("model.embed_tokens.weight", DType.F32, 6, 4),
        SafetensorsBytes.Pattern("model.layers.0.self_attn.q_proj.weight", DType.BF16, 4, 4),
        new HostTensor("empty", DType.F16, [0], ReadOnlyMemory<byte>.Empty),
        SafetensorsBytes.Pattern("scale", DType.I8, 5),
        SafetensorsBytes.Pattern("ids", DType.I32, 3),
    ], new Dictionary<string, string> { ["format"] = "pt" });

    private static int HeaderEnd => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(Valid);

    private enum Outcome { Loaded, Rejected }

    /// <summary>Opens the bytes as a file on a worker with a deadline, reading every tensor byte when it loads.</summary>
    private static Outcome Load(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("case.safetensors", bytes);
        var work = Task.Run(() =>
        {
            try
            {
                using var file = SafetensorsFile.Open(path);
                long checksum = 0;
                foreach (var tensor in file.Tensors)
                    foreach (byte b in tensor.Data.Span) checksum += b;
                GC.KeepAlive(checksum);
                return Outcome.Loaded;
            }
            catch (ModelFormatException)
            {
                return Outcome.Rejected;
            }
        });
        if (!work.Wait(PerCaseLimit))
            throw new TimeoutException($"opening a corrupted file took longer than {PerCaseLimit}");
        return work.Result; // any other exception type surfaces here and fails the property
    }

    [Fact]
    public void The_uncorrupted_file_loads() => Assert.Equal(Outcome.Loaded, Load(Valid));

    [Fact]
    public void Flipping_header_bytes_loads_or_is_rejected_cleanly()
    {
        // Positions cover the whole header, the length prefix included, so corrupted lengths are part of this property.
        var positions = PropertyCoverage.Size(0, HeaderEnd - 1);
        var cases = from first in positions from firstMask in Gen.Choose(1, 255)
                    from second in positions from secondMask in Gen.Choose(0, 255)
                    select (First: first, FirstMask: (byte)firstMask, Second: second, SecondMask: (byte)secondMask);

        var seen = PropertyCoverage.Check(cases, 300, c =>
        {
            var bytes = (byte[])Valid.Clone();
            bytes[c.First] ^= c.FirstMask;
            bytes[c.Second] ^= c.SecondMask;
            Load(bytes);
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.First), 0, HeaderEnd - 1, "first flipped position");
        Assert.True(seen.Count(c => c.First >= HeaderEnd / 2) >= 50, "flips should reach the second half of the header often");
    }

    [Fact]
    public void Any_truncation_is_rejected()
    {
        // Tensors end exactly at the end of the written file, so every shorter prefix loses something.
        var seen = PropertyCoverage.Check(PropertyCoverage.Size(0, Valid.Length - 1), 200,
            cut => Assert.Equal(Outcome.Rejected, Load(Valid.AsSpan(0, cut).ToArray())));

        PropertyCoverage.AssertReaches(seen, 0, Valid.Length - 1, "truncated length");
        Assert.True(seen.Count(cut => cut > HeaderEnd) >= 20, $"cuts inside the data region (after byte {HeaderEnd}) should be common");
    }

    /// <summary>Header length up to and including the closing brace; the writer's padding spaces follow it.</summary>
    private static int JsonLength => Array.LastIndexOf(Valid, (byte)'}', HeaderEnd - 1) - 8 + 1;

    [Fact]
    public void Random_header_lengths_load_or_are_rejected_cleanly()
    {
        // Around the true length (into the JSON, the padding, the data, past the file) and anywhere in the 64-bit range.
        var nearby = PropertyCoverage.Size(0, Valid.Length + 64).Select(n => (ulong)n);
        var anywhere = from high in Gen.Choose(int.MinValue, int.MaxValue) from low in Gen.Choose(int.MinValue, int.MaxValue)
                       select ((ulong)(uint)high << 32) | (uint)low;
        var lengths = Gen.Frequency((6, nearby), (3, anywhere), (1, Gen.Elements(ulong.MaxValue, (ulong)long.MaxValue + 1, (ulong)long.MaxValue)));

        var seen = PropertyCoverage.Check(lengths, 300, headerLength =>
        {
            var bytes = (byte[])Valid.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
            var outcome = Load(bytes);
            // Cutting into the JSON breaks it; extending the header shrinks the data region, so the last tensor
            // (which ends at the end of the file) no longer fits. Only lengths within the padding may load.
            if (headerLength < (ulong)JsonLength || headerLength > (ulong)(HeaderEnd - 8))
                Assert.Equal(Outcome.Rejected, outcome);
        });

        Assert.Contains(seen, n => n < (ulong)JsonLength);
        Assert.Contains(seen, n => n >= (ulong)JsonLength && n <= (ulong)(HeaderEnd - 8));
        Assert.Contains(seen, n => n > (ulong)(HeaderEnd - 8) && n <= (ulong)Valid.Length);
        Assert.Contains(seen, n => n > uint.MaxValue);
        Assert.Contains(ulong.MaxValue, seen);
    }

    [Fact]
    public void Header_lengths_just_past_the_true_one_are_rejected()
    {
        var seen = PropertyCoverage.Check(PropertyCoverage.Size(0, 255), 100, extra =>
        {
            var bytes = (byte[])Valid.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(HeaderEnd - 8 + 1 + extra));
            Assert.Equal(Outcome.Rejected, Load(bytes));
        });

        PropertyCoverage.AssertReaches(seen, 0, 255, "bytes past the true header length");
    }

    [Fact]
    public void Header_lengths_that_drop_only_padding_still_load()
    {
        Assert.True(JsonLength < HeaderEnd - 8, "the fixture's header should carry padding");
        var bytes = (byte[])Valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)JsonLength);
        // The data region then starts inside the padding, and every tensor still lies within it.
        Assert.Equal(Outcome.Loaded, Load(bytes));
    }
}
