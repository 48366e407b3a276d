using FsCheck;
using FsCheck.Fluent;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>
/// Whatever happens to the header of a whole model's GGUF file, <see cref="ModelFiles.Open"/> (header, metadata →
/// config, tensors → weights, Q8_0 repacking, row reordering) either gives a model whose tensors can all be read, or
/// fails with <see cref="ModelFormatException"/>.
/// </summary>
public sealed class GgufModelCorruptionProperties
{
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(10);

    private static readonly Lazy<(byte[] Bytes, int HeaderEnd)> Valid = new(() =>
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama() with { NumLayers = 1, VocabSize = 8, HiddenSize = 32, HeadDim = 8, IntermediateSize = 32 });
        string path = dir.File("m.gguf");
        GgufModelWriter.Write(path, model.Config, model, GgmlType.Q8_0, w =>
        {
            w.Add("tokenizer.ggml.bos_token_id", 1u);
            w.Add("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "a", "b", "ab", "▁", "▁a"]);
            w.Add("tokenizer.ggml.token_type", [2, 3, 3, 1, 1, 1, 1, 1]);
        });
        using var file = GgufFile.Open(path);
        return (File.ReadAllBytes(path), (int)file.DataOffset);
    });

    private static bool Opens(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("case.gguf", bytes);
        var work = Task.Run(() =>
        {
            try
            {
                using var files = ModelFiles.Open(path);
                long sum = 0;
                foreach (var tensor in files.Weights.Tensors)
                    foreach (byte b in tensor.Data.Span) sum += b;
                GC.KeepAlive(sum);
                return true;
            }
            catch (ModelFormatException)
            {
                return false;
            }
        });
        if (!work.Wait(PerCaseLimit)) throw new TimeoutException($"opening a corrupted model took longer than {PerCaseLimit}");
        return work.Result;
    }

    [Fact]
    public void The_uncorrupted_model_opens() => Assert.True(Opens(Valid.Value.Bytes));

    [Fact]
    public void Flipping_header_bytes_opens_or_is_rejected_cleanly()
    {
        var (valid, end) = Valid.Value;
        var positions = PropertyCoverage.Size(0, end - 1);
        var cases = from first in positions from firstMask in Gen.Choose(1, 255)
                    from second in positions from secondMask in Gen.Choose(0, 255)
                    select (First: first, FirstMask: (byte)firstMask, Second: second, SecondMask: (byte)secondMask);
        int rejected = 0;
        var seen = PropertyCoverage.Check(cases, 500, c =>
        {
            var bytes = (byte[])valid.Clone();
            bytes[c.First] ^= c.FirstMask;
            bytes[c.Second] ^= c.SecondMask;
            if (!Opens(bytes)) Interlocked.Increment(ref rejected);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.First), 0, end - 1, "first flipped position");
        Assert.True(rejected > 0);
    }

    [Fact]
    public void Every_metadata_value_set_to_extreme_integers_opens_or_is_rejected_cleanly()
    {
        var (valid, end) = Valid.Value;
        foreach (uint extreme in new[] { 0u, 1u, 3u, 0x7FFF_FFFFu, 0xFFFF_FFFFu })
            for (int position = 24; position + 4 <= end; position += 4)
            {
                var bytes = (byte[])valid.Clone();
                BitConverter.TryWriteBytes(bytes.AsSpan(position, 4), extreme);
                Opens(bytes);
            }
    }
}
