using FsCheck;
using FsCheck.Fluent;
using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Tokenizers.Gguf;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// Whatever happens to a GGUF file's tokenizer metadata, reading it either gives a tokenizer whose every id encodes
/// and decodes without error, or fails with <see cref="ModelFormatException"/>.
/// </summary>
public sealed class GgufTokenizerCorruptionProperties : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "transformer-gguf-tokenizer-corruption", Guid.NewGuid().ToString("N"));

    public GgufTokenizerCorruptionProperties() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private byte[] Valid(bool byteLevel)
    {
        string path = Path.Combine(_dir, byteLevel ? "gpt2.gguf" : "llama.gguf");
        using (var gguf = new GgufWriter(File.Create(path)))
        {
            gguf.Add("general.architecture", "llama");
            if (byteLevel)
            {
                // The 256 byte characters of GPT-2's alphabet, two merges and a control token.
                string[] alphabet = Gpt2ByteAlphabet();
                gguf.Add("tokenizer.ggml.model", "gpt2");
                gguf.Add("tokenizer.ggml.pre", "qwen2");
                gguf.Add("tokenizer.ggml.tokens", [.. alphabet, "ab", "abc", "<|end|>"]);
                gguf.Add("tokenizer.ggml.token_type", [.. Enumerable.Repeat(1, 258), 3]);
                gguf.Add("tokenizer.ggml.merges", ["a b", "ab c"]);
                gguf.Add("tokenizer.ggml.eos_token_id", 258u);
            }
            else
            {
                gguf.Add("tokenizer.ggml.model", "llama");
                gguf.Add("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "<0x41>", "<0xE2>", "a", "b", "ab", "\u2581", "\u2581a"]);
                gguf.Add("tokenizer.ggml.scores", [0f, 0f, 0f, 0f, 0f, -1f, -2f, -3f, -4f, -5f]);
                gguf.Add("tokenizer.ggml.token_type", [2, 3, 3, 6, 6, 1, 1, 1, 1, 1]);
                gguf.Add("tokenizer.ggml.bos_token_id", 1u);
                gguf.Add("tokenizer.ggml.eos_token_id", 2u);
            }
            gguf.WriteHeader();
        }
        return File.ReadAllBytes(path);
    }

    /// <summary>GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the rest for U+0100 on.</summary>
    private static string[] Gpt2ByteAlphabet()
    {
        var result = new string[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            result[b] = ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) ? ((char)b).ToString() : ((char)next++).ToString();
        return result;
    }

    private bool Loads(byte[] bytes)
    {
        string path = Path.Combine(_dir, "case.gguf");
        File.WriteAllBytes(path, bytes);
        var work = Task.Run(() =>
        {
            try
            {
                var tokenizer = GgufTokenizer.Load(path);
                var ids = tokenizer.Encode("ab abc </s><|end|> A☃ b\n  x", addBos: true);
                Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
                for (int id = 0; id < tokenizer.VocabSize; id++) _ = tokenizer.DecodeBytes(id == 0 ? -1 : id - 1, id).Length;
                return true;
            }
            catch (ModelFormatException)
            {
                return false;
            }
        });
        if (!work.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("reading a corrupted tokenizer took longer than 10 s");
        return work.Result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flipping_bytes_loads_or_is_rejected_cleanly(bool byteLevel)
    {
        byte[] valid = Valid(byteLevel);
        Assert.True(Loads(valid));
        var cases = from position in PropertyCoverage.Size(24, valid.Length - 1) from mask in Gen.Choose(1, 255)
                    select (Position: position, Mask: (byte)mask);
        int rejected = 0;
        var seen = PropertyCoverage.Check(cases, 300, c =>
        {
            var bytes = (byte[])valid.Clone();
            bytes[c.Position] ^= c.Mask;
            if (!Loads(bytes)) rejected++;
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.Position), 24, valid.Length - 1, "flipped position");
        Assert.True(rejected > 0);
    }
}
