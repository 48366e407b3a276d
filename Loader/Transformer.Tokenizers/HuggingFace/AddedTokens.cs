using System.Text.Json;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>One entry of <c>added_tokens</c>.</summary>
internal readonly record struct AddedToken(int Id, string Content, bool Special);

/// <summary>
/// The <c>added_tokens</c> of a <c>tokenizer.json</c>, matched verbatim in the input before any
/// normalization or pre-tokenization, leftmost-longest as Hugging Face does. (The lstrip/rstrip/single_word
/// options are not applied: the byte-level models this serves set them all false.)
/// </summary>
internal sealed class AddedTokens
{
    private readonly Dictionary<char, string[]> _byFirstChar;
    private readonly Dictionary<string, int> _idByContent;

    private AddedTokens(IReadOnlyList<AddedToken> tokens)
    {
        Tokens = tokens;
        _idByContent = tokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        // Candidates by first character, longest first, so the first that matches at the leftmost position is the
        // leftmost-longest token. (One regex alternation of thousands of tokens, as Gemma has, was far slower.)
        _byFirstChar = _idByContent.Keys.GroupBy(c => c[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).ToArray());
    }

    public IReadOnlyList<AddedToken> Tokens { get; }

    /// <summary>A matcher for tokens known otherwise than from tokenizer.json (a SentencePiece model's control pieces).</summary>
    public static AddedTokens Of(IReadOnlyList<AddedToken> tokens) => new(tokens);

    public static AddedTokens Parse(JsonElement root)
    {
        var tokens = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement t in list.EnumerateArray())
            {
                bool special = t.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
                string content = t.GetProperty("content").GetString() ?? "";
                if (content.Length > 0)
                {
                    tokens.Add(new AddedToken(t.GetProperty("id").GetInt32(), content, special));
                }
            }
        }

        return new AddedTokens(tokens);
    }

    public int? IdOf(string content) => _idByContent.TryGetValue(content, out int id) ? id : null;

    /// <summary>The text cut at added tokens: runs of plain text (Id null) and added tokens (Id set), in order.</summary>
    public IEnumerable<(string Text, int? Id)> Split(string text)
    {
        int position = 0;
        for (int i = 0; i < text.Length && _byFirstChar.Count > 0; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out string[]? candidates))
            {
                continue;
            }

            string? match = null;
            foreach (string candidate in candidates)
            {
                if (string.CompareOrdinal(text, i, candidate, 0, candidate.Length) == 0 && i + candidate.Length <= text.Length)
                {
                    match = candidate;
                    break;
                }
            }

            if (match is null)
            {
                continue;
            }

            if (i > position)
            {
                yield return (text[position..i], null);
            }

            yield return (match, _idByContent[match]);
            position = i + match.Length;
            i = position - 1;
        }

        if (position < text.Length)
        {
            yield return (text[position..], null);
        }
    }
}
