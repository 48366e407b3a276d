using System.Text.Json;
using System.Text.RegularExpressions;

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
    private readonly Regex? _matcher;
    private readonly Dictionary<string, int> _idByContent;

    private AddedTokens(IReadOnlyList<AddedToken> tokens)
    {
        Tokens = tokens;
        _idByContent = tokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        // Longest first, so the regex alternation (which takes the first alternative that matches at the
        // leftmost position) yields the leftmost-longest token.
        string[] alternatives = [.. _idByContent.Keys.OrderByDescending(c => c.Length).Select(Regex.Escape)];
        _matcher = alternatives.Length == 0 ? null : new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant);
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
        if (_matcher is not null)
        {
            foreach (Match m in _matcher.Matches(text))
            {
                if (m.Index > position)
                {
                    yield return (text[position..m.Index], null);
                }

                yield return (m.Value, _idByContent[m.Value]);
                position = m.Index + m.Length;
            }
        }

        if (position < text.Length)
        {
            yield return (text[position..], null);
        }
    }
}
