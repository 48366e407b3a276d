using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// Finds ../shared (real models and third-party reference outputs, never copied into the repo).
/// TRANSFORMER_SHARED_DIR wins; otherwise the first ancestor of the test binaries, or of this source
/// file (builds may put binaries outside the repo with --artifacts-path), that holds shared/models/stories260K.
/// </summary>
internal static class SharedModels
{
    private const string Marker = "models/stories260K";

    public static string? Stories260KDir { get; } = FindShared() is string shared ? Path.Combine(shared, Marker) : null;

    public static string SkipReason => "../shared/models/stories260K not found (set TRANSFORMER_SHARED_DIR to the shared folder)";

    /// <summary>A file of stories260K; the test is skipped when the shared folder is absent.</summary>
    public static string Stories260KFile(string name)
    {
        Assert.SkipWhen(Stories260KDir is null, SkipReason);
        string path = Path.Combine(Stories260KDir!, name);
        Assert.SkipUnless(File.Exists(path), $"{path} is missing");
        return path;
    }

    /// <summary>The cases of reference/tokenize.json (run.c and SentencePiece 0.1.97 tokenizations).</summary>
    public static IReadOnlyList<TokenizeCase> TokenizeCases()
    {
        string path = Stories260KFile(Path.Combine("reference", "tokenize.json"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.EnumerateArray().Select(e => new TokenizeCase(
            e.GetProperty("text").GetString()!,
            [.. e.GetProperty("llama2c_token_ids").EnumerateArray().Select(x => x.GetInt32())],
            [.. e.GetProperty("sentencepiece_token_ids").EnumerateArray().Select(x => x.GetInt32())]))];
    }

    private static string? FindShared([CallerFilePath] string sourceFile = "")
    {
        string? fromEnv = Environment.GetEnvironmentVariable("TRANSFORMER_SHARED_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return Directory.Exists(Path.Combine(fromEnv, Marker)) ? fromEnv : null;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (DirectoryInfo? dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, Marker)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>One tokenize.json case; both id lists start with BOS.</summary>
internal sealed record TokenizeCase(string Text, int[] Llama2cIds, int[] SentencePieceIds);
