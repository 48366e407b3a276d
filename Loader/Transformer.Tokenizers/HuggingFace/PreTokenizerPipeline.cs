using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// The <c>pre_tokenizer</c> of a byte-level <c>tokenizer.json</c>: optional Split steps (regex or literal,
/// behaviour "Isolated" or "Removed"), then ByteLevel, which may add a prefix space, may split with
/// GPT-2's pattern, and spells each piece's UTF-8 bytes in the byte-level alphabet.
/// </summary>
internal sealed class PreTokenizerPipeline
{
    /// <summary>GPT-2's split pattern, which ByteLevel applies when <c>use_regex</c> is true (its default).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IReadOnlyList<Func<string, IEnumerable<string>>> _splitsBeforeByteLevel;
    private readonly bool _addPrefixSpace;
    private readonly Func<string, IEnumerable<string>>? _byteLevelSplit;

    private PreTokenizerPipeline(IReadOnlyList<Func<string, IEnumerable<string>>> splits, bool addPrefixSpace,
        Func<string, IEnumerable<string>>? byteLevelSplit)
    {
        _splitsBeforeByteLevel = splits;
        _addPrefixSpace = addPrefixSpace;
        _byteLevelSplit = byteLevelSplit;
    }

    /// <summary>Builds the pipeline; anything but a byte-level pre-tokenizer is rejected.</summary>
    public static PreTokenizerPipeline Parse(JsonElement preTokenizer, string sourceName)
    {
        var steps = preTokenizer.ValueKind == JsonValueKind.Object && TypeOf(preTokenizer) == "Sequence"
            ? [.. preTokenizer.GetProperty("pretokenizers").EnumerateArray()]
            : new List<JsonElement> { preTokenizer };

        var splits = new List<Func<string, IEnumerable<string>>>();
        bool? addPrefixSpace = null;
        Func<string, IEnumerable<string>>? byteLevelSplit = null;
        foreach (JsonElement step in steps)
        {
            string type = step.ValueKind == JsonValueKind.Object ? TypeOf(step) : "null";
            if (addPrefixSpace is not null)
            {
                throw new ModelFormatException($"{sourceName}: pre_tokenizer step \"{InputQuote.Cap(type)}\" after ByteLevel is not supported.");
            }

            switch (type)
            {
                case "Split":
                    splits.Add(ParseSplit(step, sourceName));
                    break;
                case "ByteLevel":
                    addPrefixSpace = Flag(step, "add_prefix_space", false);
                    if (Flag(step, "use_regex", true))
                    {
                        byteLevelSplit = IsolatingSplit(Compile(Gpt2Pattern, sourceName));
                    }

                    break;
                default:
                    throw new ModelFormatException($"{sourceName}: pre_tokenizer \"{InputQuote.Cap(type)}\" is not supported; only byte-level BPE (Split steps then ByteLevel) is.");
            }
        }

        return new PreTokenizerPipeline(splits,
            addPrefixSpace ?? throw new ModelFormatException($"{sourceName}: pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizer.json files are supported."),
            byteLevelSplit);
    }

    /// <summary>
    /// The pipeline of a tokenizer stored without a tokenizer.json (GGUF): a Split by <paramref name="pattern"/>
    /// (Isolated) then ByteLevel without a regex of its own, or, when <paramref name="pattern"/> is null, ByteLevel
    /// splitting with GPT-2's pattern. No prefix space, as in every such tokenizer llama.cpp reads.
    /// </summary>
    public static PreTokenizerPipeline ForPattern(string? pattern, string sourceName) => pattern is null
        ? new PreTokenizerPipeline([], false, IsolatingSplit(Compile(Gpt2Pattern, sourceName)))
        : new PreTokenizerPipeline([IsolatingSplit(Compile(pattern, sourceName))], false, null);

    /// <summary>Splits a run of text (one between added tokens) into byte-level-spelled words.</summary>
    public IEnumerable<string> Words(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        IEnumerable<string> pieces = [text];
        foreach (Func<string, IEnumerable<string>> split in _splitsBeforeByteLevel)
        {
            pieces = pieces.SelectMany(split);
        }

        // As in Hugging Face's ByteLevel, the prefix space goes on every piece that reaches it.
        if (_addPrefixSpace)
        {
            pieces = pieces.Select(p => p.StartsWith(' ') ? p : " " + p);
        }

        if (_byteLevelSplit is not null)
        {
            pieces = pieces.SelectMany(_byteLevelSplit);
        }

        return pieces.Where(p => p.Length > 0).Select(p => ByteLevelAlphabet.Spell(Encoding.UTF8.GetBytes(p)));
    }

    private static Func<string, IEnumerable<string>> ParseSplit(JsonElement step, string sourceName)
    {
        JsonElement pattern = step.GetProperty("pattern");
        Regex regex = pattern.TryGetProperty("Regex", out JsonElement r)
            ? Compile(r.GetString()!, sourceName)
            : pattern.TryGetProperty("String", out JsonElement s)
                ? new Regex(Regex.Escape(s.GetString()!), RegexOptions.CultureInvariant)
                : throw new ModelFormatException($"{sourceName}: Split pattern has neither \"Regex\" nor \"String\".");

        if (Flag(step, "invert", false))
        {
            throw new ModelFormatException($"{sourceName}: Split with invert=true is not supported.");
        }

        string behavior = step.TryGetProperty("behavior", out JsonElement b) ? b.GetString() ?? "" : "";
        return behavior switch
        {
            "Isolated" => IsolatingSplit(regex),
            "Removed" => RemovingSplit(regex),
            _ => throw new ModelFormatException($"{sourceName}: Split behavior \"{InputQuote.Cap(behavior)}\" is not supported (Isolated and Removed are)."),
        };
    }

    // "Isolated": every match and every stretch between matches becomes its own piece.
    private static Func<string, IEnumerable<string>> IsolatingSplit(Regex regex)
    {
        var matcher = new CodePointRegex(regex);
        return text => Cut(text, matcher, keepMatches: true);
    }

    private static Func<string, IEnumerable<string>> RemovingSplit(Regex regex)
    {
        var matcher = new CodePointRegex(regex);
        return text => Cut(text, matcher, keepMatches: false);
    }

    private static IEnumerable<string> Cut(string text, CodePointRegex matcher, bool keepMatches)
    {
        int position = 0;
        foreach ((int start, int length) in matcher.Matches(text))
        {
            if (start > position)
            {
                yield return text[position..start];
            }

            if (keepMatches && length > 0)
            {
                yield return text.Substring(start, length);
            }

            position = start + length;
        }

        if (position < text.Length)
        {
            yield return text[position..];
        }
    }

    private static Regex Compile(string pattern, string sourceName)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{sourceName}: split pattern {pattern} is not a .NET regex: {e.Message}", e);
        }
    }

    private static string TypeOf(JsonElement e) => e.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";

    private static bool Flag(JsonElement e, string name, bool fallback)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
}
