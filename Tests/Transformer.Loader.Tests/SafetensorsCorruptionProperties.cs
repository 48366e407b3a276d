using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
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

    [Property(MaxTest = 300)]
    public void Flipping_header_bytes_loads_or_is_rejected_cleanly(NonNegativeInt position, byte mask, NonNegativeInt secondPosition, byte secondMask)
    {
        var bytes = (byte[])Valid.Clone();
        // Positions cover the length prefix too, so corrupted lengths are part of this property.
        bytes[position.Get % HeaderEnd] ^= mask;
        bytes[secondPosition.Get % HeaderEnd] ^= secondMask;
        Load(bytes);
    }

    [Property(MaxTest = 200)]
    public void Any_truncation_is_rejected(NonNegativeInt cut)
    {
        // Tensors end exactly at the end of the written file, so every shorter prefix loses something.
        var bytes = Valid.AsSpan(0, cut.Get % Valid.Length).ToArray();
        Assert.Equal(Outcome.Rejected, Load(bytes));
    }

    /// <summary>Header length up to and including the closing brace; the writer's padding spaces follow it.</summary>
    private static int JsonLength => Array.LastIndexOf(Valid, (byte)'}', HeaderEnd - 1) - 8 + 1;

    [Property(MaxTest = 200)]
    public void Random_header_lengths_load_or_are_rejected_cleanly(ulong headerLength)
    {
        var bytes = (byte[])Valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        var outcome = Load(bytes);
        // Cutting into the JSON breaks it; extending the header shrinks the data region, so the last tensor
        // (which ends at the end of the file) no longer fits. Only lengths within the padding may load.
        if (headerLength < (ulong)JsonLength || headerLength > (ulong)(HeaderEnd - 8))
            Assert.Equal(Outcome.Rejected, outcome);
    }

    [Property(MaxTest = 100)]
    public void Header_lengths_just_past_the_true_one_are_rejected(byte extra)
    {
        var bytes = (byte[])Valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(HeaderEnd - 8 + 1 + extra));
        Assert.Equal(Outcome.Rejected, Load(bytes));
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
