using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// The special tokens a tokenizer.json's <c>post_processor</c> puts around one sequence (and a pair):
/// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (none), or a Sequence of them.
/// </summary>
internal sealed class PostProcessorTemplate
{
    private PostProcessorTemplate(int[] before, int[] after, int[] pairBetween, int[] pairAfter)
    {
        Before = before;
        After = after;
        PairBetween = pairBetween;
        PairAfter = pairAfter;
    }

    /// <summary>None: what a file without a post_processor, or with ByteLevel only, adds.</summary>
    public static PostProcessorTemplate None { get; } = new([], [], [], []);

    /// <summary>BERT's: [CLS] A [SEP], and [CLS] A [SEP] B [SEP] for a pair.</summary>
    public static PostProcessorTemplate Bert(int cls, int sep) => new([cls], [sep], [sep], [sep]);

    /// <summary>Ids before the sequence (a single one, or the first of a pair).</summary>
    public int[] Before { get; }

    /// <summary>Ids after a single sequence.</summary>
    public int[] After { get; }

    /// <summary>Ids between the two sequences of a pair (after A, before B).</summary>
    public int[] PairBetween { get; }

    /// <summary>Ids after the second sequence of a pair.</summary>
    public int[] PairAfter { get; }

    /// <summary>The first id the template puts before a single sequence, if any (BOS, [CLS]).</summary>
    public int? First => Before.Length > 0 ? Before[0] : null;

    /// <summary>The ids with the template's special tokens around them.</summary>
    public List<int> Wrap(List<int> ids)
    {
        var wrapped = new List<int>(Before.Length + ids.Count + After.Length);
        wrapped.AddRange(Before);
        wrapped.AddRange(ids);
        wrapped.AddRange(After);
        return wrapped;
    }

    /// <summary>Reads the post_processor; <paramref name="idOf"/> resolves a token's content to its id.</summary>
    public static PostProcessorTemplate Parse(JsonElement root, Func<string, int?> idOf, string sourceName)
    {
        if (!root.TryGetProperty("post_processor", out JsonElement processor) || processor.ValueKind != JsonValueKind.Object)
        {
            return None;
        }

        return ParseOne(processor, idOf, sourceName);
    }

    private static PostProcessorTemplate ParseOne(JsonElement p, Func<string, int?> idOf, string sourceName)
    {
        string type = p.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                // Only one member of a Sequence adds tokens in every real file (ByteLevel + TemplateProcessing).
                return p.GetProperty("processors").EnumerateArray().Select(x => ParseOne(x, idOf, sourceName))
                    .LastOrDefault(x => x != None) ?? None;
            case "BertProcessing":
            case "RobertaProcessing":
            {
                int cls = p.GetProperty("cls")[1].GetInt32();
                int sep = p.GetProperty("sep")[1].GetInt32();
                // BERT: [CLS] A [SEP] B [SEP]; RoBERTa: <s> A </s> </s> B </s>.
                return type == "BertProcessing" ? Bert(cls, sep) : new([cls], [sep], [sep, sep], [sep]);
            }
            case "TemplateProcessing":
            {
                JsonElement specials = p.TryGetProperty("special_tokens", out JsonElement s) ? s : default;
                List<int>[] single = Pieces(p.GetProperty("single"), specials, idOf, sourceName, 2);
                List<int>[] pair = p.TryGetProperty("pair", out JsonElement pr) && pr.ValueKind == JsonValueKind.Array
                    ? Pieces(pr, specials, idOf, sourceName, 3)
                    : [single[0], single[1], []];
                return new([.. single[0]], [.. single[1]], [.. pair[1]], [.. pair[2]]);
            }
            default:
                throw new ModelFormatException($"{sourceName}: post_processor \"{InputQuote.Cap(type)}\" is not supported (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence are).");
        }
    }

    // The special-token ids in each gap of a template: before A, after A (before B), after B.
    private static List<int>[] Pieces(JsonElement template, JsonElement specials, Func<string, int?> idOf, string sourceName, int gaps)
    {
        var result = Enumerable.Range(0, gaps).Select(_ => new List<int>()).ToArray();
        int gap = 0;
        foreach (JsonElement item in template.EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _))
            {
                gap++;
                continue;
            }

            string name = item.GetProperty("SpecialToken").GetProperty("id").GetString()!;
            if (specials.ValueKind == JsonValueKind.Object && specials.TryGetProperty(name, out JsonElement entry) && entry.TryGetProperty("ids", out JsonElement ids))
            {
                result[Math.Min(gap, gaps - 1)].AddRange(ids.EnumerateArray().Select(x => x.GetInt32()));
            }
            else
            {
                result[Math.Min(gap, gaps - 1)].Add(idOf(name) ?? throw new ModelFormatException($"{sourceName}: post_processor names special token \"{InputQuote.Cap(name)}\", which is not in the vocabulary."));
            }
        }

        return result;
    }
}
