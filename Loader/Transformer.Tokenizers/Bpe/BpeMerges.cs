using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.Bpe;

/// <summary>The merges of a tokenizer.json BPE model, in rank order.</summary>
internal static class BpeMerges
{
    /// <summary>Each merge as a pair of pieces: older files write "a b", newer ones ["a", "b"] (which allows spaces inside pieces).</summary>
    public static IEnumerable<(string, string)> Pairs(JsonElement merges, string sourceName)
    {
        int rank = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            yield return merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                ? (merge[0].GetString()!, merge[1].GetString()!)
                : merge.ValueKind == JsonValueKind.String && merge.GetString()!.Split(' ') is [string x, string y]
                    ? (x, y)
                    : throw new ModelFormatException($"{sourceName}: merge {rank} ({InputQuote.Cap(merge.GetRawText())}) is neither \"a b\" nor [a, b].");
            rank++;
        }
    }
}
