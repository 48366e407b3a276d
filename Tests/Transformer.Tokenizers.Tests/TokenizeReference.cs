using System.Text.Json;

namespace Transformer.Tokenizers.Tests;

/// <summary>The cases of reference/tokenize.json (run.c and SentencePiece 0.1.97 tokenizations).</summary>
internal static class TokenizeReference
{
    public static IReadOnlyList<TokenizeCase> Cases()
    {
        string path = SharedModels.Stories260KFile(Path.Combine("reference", "tokenize.json"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.EnumerateArray().Select(e => new TokenizeCase(
            e.GetProperty("text").GetString()!,
            [.. e.GetProperty("llama2c_token_ids").EnumerateArray().Select(x => x.GetInt32())],
            [.. e.GetProperty("sentencepiece_token_ids").EnumerateArray().Select(x => x.GetInt32())]))];
    }
}

/// <summary>One tokenize.json case; both id lists start with BOS.</summary>
internal sealed record TokenizeCase(string Text, int[] Llama2cIds, int[] SentencePieceIds);
