using System.Globalization;
using System.Text;
using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// A tokenizer.json's <c>decoder</c>, applied as Hugging Face applies it: each step maps the list of piece strings
/// to a new list (ByteLevel, Replace, ByteFallback, Fuse, Strip, WordPiece, Metaspace), and the result is joined.
/// </summary>
internal sealed class DecoderChain
{
    private readonly Func<List<string>, List<string>>[] _steps;

    private DecoderChain(Func<List<string>, List<string>>[] steps) => _steps = steps;

    /// <summary>The decoder of <paramref name="root"/>'s "decoder" (none: pieces joined as they are).</summary>
    public static DecoderChain Parse(JsonElement root, string sourceName)
    {
        if (!root.TryGetProperty("decoder", out JsonElement decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            return new DecoderChain([]);
        }

        IEnumerable<JsonElement> steps = TypeOf(decoder) == "Sequence" ? decoder.GetProperty("decoders").EnumerateArray() : [decoder];
        return new DecoderChain([.. steps.Select(s => Step(s, sourceName))]);
    }

    /// <summary>ByteLevel's decoder alone: what a byte-level tokenizer stored without a tokenizer.json decodes with.</summary>
    public static DecoderChain ByteLevel { get; } = new([ByteLevelStep]);

    /// <summary>The WordPiece decoder a tokenizer read from a bare vocab.txt uses.</summary>
    public static DecoderChain WordPiece(string prefix, bool cleanup) => new([tokens => WordPieceStep(tokens, prefix, cleanup)]);

    public string Decode(IEnumerable<string> pieces)
    {
        List<string> tokens = [.. pieces];
        foreach (Func<List<string>, List<string>> step in _steps)
        {
            tokens = step(tokens);
        }

        return string.Concat(tokens);
    }

    private static Func<List<string>, List<string>> Step(JsonElement step, string sourceName)
    {
        string type = TypeOf(step);
        switch (type)
        {
            case "ByteLevel":
                return ByteLevelStep;
            case "Replace":
            {
                string pattern = step.GetProperty("pattern").TryGetProperty("String", out JsonElement s)
                    ? s.GetString()!
                    : throw new ModelFormatException($"{sourceName}: decoder Replace with a regex pattern is not supported.");
                string content = step.GetProperty("content").GetString()!;
                return tokens => [.. tokens.Select(t => t.Replace(pattern, content, StringComparison.Ordinal))];
            }

            case "ByteFallback":
                return ByteFallbackStep;
            case "Fuse":
                return tokens => [string.Concat(tokens)];
            case "Strip":
            {
                string content = step.GetProperty("content").GetString()!;
                int start = step.GetProperty("start").GetInt32(), stop = step.GetProperty("stop").GetInt32();
                return tokens => [.. tokens.Select(t => StripStep(t, content, start, stop))];
            }

            case "WordPiece":
            {
                string prefix = step.TryGetProperty("prefix", out JsonElement p) ? p.GetString()! : "##";
                bool cleanup = !step.TryGetProperty("cleanup", out JsonElement c) || c.ValueKind != JsonValueKind.False;
                return tokens => WordPieceStep(tokens, prefix, cleanup);
            }

            case "Metaspace":
            {
                string replacement = step.TryGetProperty("replacement", out JsonElement r) ? r.GetString()! : "\u2581";
                bool prepend = !step.TryGetProperty("prepend_scheme", out JsonElement ps) || ps.GetString() != "never";
                return tokens => [.. tokens.Select((t, i) =>
                {
                    string spaced = t.Replace(replacement, " ", StringComparison.Ordinal);
                    return i == 0 && prepend && spaced.StartsWith(' ') ? spaced[1..] : spaced;
                })];
            }

            default:
                throw new ModelFormatException($"{sourceName}: decoder \"{InputQuote.Cap(type)}\" is not supported (ByteLevel, Replace, ByteFallback, Fuse, Strip, WordPiece, Metaspace are).");
        }
    }

    // All pieces' characters back to bytes through GPT-2's alphabet (a piece with a character outside it, such as
    // an added token, contributes its own UTF-8), then one lossy UTF-8 decode, as Hugging Face's from_utf8_lossy.
    private static List<string> ByteLevelStep(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            int mark = bytes.Count;
            bool spelled = true;
            foreach (char c in token)
            {
                if (!ByteLevelAlphabet.TryGetByte(c, out byte b))
                {
                    spelled = false;
                    break;
                }

                bytes.Add(b);
            }

            if (!spelled)
            {
                bytes.RemoveRange(mark, bytes.Count - mark);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return [Encoding.UTF8.GetString([.. bytes])];
    }

    // Runs of <0xXX> pieces become the text their bytes spell, or one U+FFFD per byte when they are not valid UTF-8.
    private static List<string> ByteFallbackStep(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        foreach (string token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                run.Add(b);
                continue;
            }

            Flush();
            result.Add(token);
        }

        Flush();
        return result;

        void Flush()
        {
            if (run.Count == 0)
            {
                return;
            }

            try
            {
                result.Add(StrictUtf8.GetString([.. run]));
            }
            catch (DecoderFallbackException)
            {
                result.AddRange(Enumerable.Repeat("\uFFFD", run.Count));
            }

            run.Clear();
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string StripStep(string token, string content, int start, int stop)
    {
        int from = 0, to = token.Length;
        for (int i = 0; i < start && token.AsSpan(from).StartsWith(content, StringComparison.Ordinal); i++)
        {
            from += content.Length;
        }

        for (int i = 0; i < stop && to - content.Length >= from && token.AsSpan(from, to - from).EndsWith(content, StringComparison.Ordinal); i++)
        {
            to -= content.Length;
        }

        return token[from..to];
    }

    // Continuing pieces (prefixed) join the previous one; others start a new word after a space.
    private static List<string> WordPieceStep(List<string> tokens, string prefix, bool cleanup)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            // As Hugging Face: the first piece keeps even a prefix.
            string piece = i == 0 ? token : token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;

            result.Add(cleanup ? CleanUp(piece) : piece);
        }

        return result;
    }

    // Hugging Face's clean_up_tokenization: no space before punctuation and common English contractions.
    private static string CleanUp(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    private static string TypeOf(JsonElement e) => e.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
}
