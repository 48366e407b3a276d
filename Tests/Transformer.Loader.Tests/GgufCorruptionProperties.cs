using FsCheck;
using FsCheck.Fluent;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>
/// Whatever happens to a GGUF file's bytes, opening it either succeeds with tensors whose bytes can all be read,
/// or fails with <see cref="ModelFormatException"/>: never another exception, a crash, a hang or a huge allocation.
/// </summary>
public sealed class GgufCorruptionProperties
{
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(10);
    private static readonly byte[] Valid = GgufBytes.Valid();

    private static int HeaderEnd
    {
        get
        {
            using var dir = new TempDirectory();
            using var file = GgufFile.Open(dir.WriteBytes("v.gguf", Valid));
            return (int)file.DataOffset;
        }
    }

    private enum Outcome { Loaded, Rejected }

    private static Outcome Load(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("case.gguf", bytes);
        var work = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var file = GgufFile.Open(path);
                long checksum = 0;
                foreach (var tensor in file.Tensors)
                    foreach (byte b in file.Data(tensor).Span) checksum += b;
                foreach (string key in file.Metadata.Keys)
                    checksum += file.Metadata.TryGet(key, out var value) ? value.Count : 0;
                GC.KeepAlive(checksum);
                return Outcome.Loaded;
            }
            catch (ModelFormatException)
            {
                return Outcome.Rejected;
            }
            finally
            {
                // A corrupted count must never turn into a large allocation: the file is a few hundred bytes.
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > 4 << 20) throw new InvalidOperationException($"opening a {bytes.Length}-byte file allocated {allocated} bytes");
            }
        });
        if (!work.Wait(PerCaseLimit)) throw new TimeoutException($"opening a corrupted file took longer than {PerCaseLimit}");
        return work.Result;
    }

    [Fact]
    public void The_uncorrupted_file_loads() => Assert.Equal(Outcome.Loaded, Load(Valid));

    [Fact]
    public void Flipping_header_bytes_loads_or_is_rejected_cleanly()
    {
        int end = HeaderEnd;
        var positions = PropertyCoverage.Size(0, end - 1);
        var cases = from first in positions from firstMask in Gen.Choose(1, 255)
                    from second in positions from secondMask in Gen.Choose(0, 255)
                    select (First: first, FirstMask: (byte)firstMask, Second: second, SecondMask: (byte)secondMask);

        var outcomes = new List<Outcome>();
        var seen = PropertyCoverage.Check(cases, 400, c =>
        {
            var bytes = (byte[])Valid.Clone();
            bytes[c.First] ^= c.FirstMask;
            bytes[c.Second] ^= c.SecondMask;
            lock (outcomes) outcomes.Add(Load(bytes));
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.First), 0, end - 1, "first flipped position");
        Assert.Contains(Outcome.Rejected, outcomes);
    }

    [Fact]
    public void Truncating_anywhere_loads_or_is_rejected_cleanly()
    {
        for (int length = 0; length < Valid.Length; length++)
        {
            // An empty file cannot be mapped; MappedFile reports it as a ModelFormatException too.
            Load(Valid[..length]);
        }
    }

    [Fact]
    public void Setting_any_header_word_to_extreme_values_loads_or_is_rejected_cleanly()
    {
        int end = HeaderEnd;
        foreach (ulong extreme in new[] { 0UL, 1UL, 0x7FFF_FFFFUL, 0xFFFF_FFFFUL, 1UL << 40, (ulong)long.MaxValue, ulong.MaxValue })
            for (int position = 0; position + 8 <= end; position += 4)
            {
                var bytes = (byte[])Valid.Clone();
                BitConverter.TryWriteBytes(bytes.AsSpan(position, 8), extreme);
                Load(bytes);
            }
    }
}
