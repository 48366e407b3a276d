using System.Text;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>Generated tokens in the two log-probability shapes of the API: chat's entries and the legacy parallel lists.</summary>
internal static class LogprobFormats
{
    /// <summary>OpenAI reports an impossible token as -9999 rather than -infinity (which JSON cannot hold).</summary>
    private const float Impossible = -9999f;

    public static ChatLogprobs Chat(IEnumerable<TextToken> tokens) => new([.. tokens.Select(t => new ChatTokenLogprob(
        Text(t.Bytes), Finite(t.Logprob), Bytes(t.Bytes),
        [.. (t.Alternatives ?? []).Select(a => new ChatTopLogprob(Text(a.Bytes), Finite(a.Logprob), Bytes(a.Bytes)))]))]);

    public static TextLogprobs Legacy(IReadOnlyList<TextToken> tokens) => new(
        [.. tokens.Select(t => Text(t.Bytes))],
        [.. tokens.Select(t => Finite(t.Logprob))],
        [.. tokens.Select(t => Alternatives(t.Alternatives))],
        [.. tokens.Select(t => t.TextOffset)]);

    private static Dictionary<string, float> Alternatives(IReadOnlyList<TextAlternative>? alternatives)
    {
        var map = new Dictionary<string, float>(StringComparer.Ordinal);
        // Two tokens can read the same (a piece and its byte-fallback spelling); the likelier one, listed first, is kept.
        foreach (var a in alternatives ?? []) map.TryAdd(Text(a.Bytes), Finite(a.Logprob));
        return map;
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static int[] Bytes(byte[] bytes) => [.. bytes.Select(b => (int)b)];

    private static float Finite(float? logprob) => logprob is { } l && !float.IsNegativeInfinity(l) && !float.IsNaN(l) ? l : Impossible;
}
