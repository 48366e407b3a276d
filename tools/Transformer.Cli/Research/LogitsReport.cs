using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Transformer.Loader.Tokenization;

namespace Transformer.Cli.Research;

/// <summary>
/// What <c>transformer logits</c> prints: per position, the input token and the model's next-token logits, as a
/// table of the top tokens or as one JSON document.
/// </summary>
/// <param name="Model">The model path.</param>
/// <param name="Architecture">The model's architecture.</param>
/// <param name="Tokens">The input token ids.</param>
/// <param name="Logits">[tokens, vocab] row-major: row p predicts token p + 1.</param>
/// <param name="VocabSize">Length of a row.</param>
/// <param name="Tokenizer">Turns ids into pieces.</param>
public sealed record LogitsReport(string Model, string Architecture, IReadOnlyList<int> Tokens, float[] Logits, int VocabSize, ITokenizer Tokenizer)
{
    /// <summary>Top tokens the table shows when --top is not given.</summary>
    public const int DefaultTableTop = 5;

    private ReadOnlySpan<float> Row(int position) => Logits.AsSpan(position * VocabSize, VocabSize);

    private string InputPiece(int position) => TokenPieces.Piece(Tokenizer, position == 0 ? -1 : Tokens[position - 1], Tokens[position]);

    /// <summary>The table: a header line, then one line per position with its top <paramref name="top"/> next tokens.</summary>
    public void WriteTable(TextWriter output, int top)
    {
        output.WriteLine($"model: {Model} ({Architecture}, {VocabSize} ids); {Tokens.Count} tokens; next-token top {top}: id \"piece\" probability (logit)");
        var pieces = Enumerable.Range(0, Tokens.Count).Select(p => TokenPieces.Quoted(InputPiece(p))).ToArray();
        int pieceWidth = Math.Max("piece".Length, pieces.Max(p => p.Length));
        int idWidth = Math.Max("token".Length, Tokens.Max(t => t.ToString(CultureInfo.InvariantCulture).Length));
        output.WriteLine($"{"pos",5}  {"token".PadLeft(idWidth)}  {"piece".PadRight(pieceWidth)}  next");
        for (int p = 0; p < Tokens.Count; p++)
        {
            var best = NextTokenDistribution.Top(Row(p), top);
            string next = string.Join("  ", best.Select(t => string.Create(CultureInfo.InvariantCulture,
                $"{t.Id} {TokenPieces.Quoted(TokenPieces.Piece(Tokenizer, Tokens[p], t.Id))} {t.Probability:F4} ({t.Logit:F3})")));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p,5}  {Tokens[p].ToString(CultureInfo.InvariantCulture).PadLeft(idWidth)}  {pieces[p].PadRight(pieceWidth)}  {next}"));
        }
    }

    /// <summary>
    /// The JSON document: <c>{"model", "architecture", "vocab_size", "tokens": [...], "positions": [{"position",
    /// "token", "piece", ...}]}</c>, each position with <c>"logits"</c> (the full row) when <paramref name="top"/>
    /// is null, else <c>"top"</c>: <c>[{"id", "piece", "logit", "probability"}]</c>, most likely first.
    /// </summary>
    public string Json(int? top)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("model", Model);
        json.WriteString("architecture", Architecture);
        json.WriteNumber("vocab_size", VocabSize);
        json.WriteStartArray("tokens");
        foreach (int token in Tokens) json.WriteNumberValue(token);
        json.WriteEndArray();
        json.WriteStartArray("positions");
        for (int p = 0; p < Tokens.Count; p++)
        {
            json.WriteStartObject();
            json.WriteNumber("position", p);
            json.WriteNumber("token", Tokens[p]);
            json.WriteString("piece", InputPiece(p));
            if (top is { } k)
            {
                json.WriteStartArray("top");
                foreach (var t in NextTokenDistribution.Top(Row(p), k))
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", t.Id);
                    json.WriteString("piece", TokenPieces.Piece(Tokenizer, Tokens[p], t.Id));
                    WriteFloat(json, "logit", t.Logit);
                    json.WriteNumber("probability", t.Probability);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            else
            {
                json.WriteStartArray("logits");
                foreach (float logit in Row(p)) WriteFloatValue(json, logit);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // JSON has no infinities: a -inf logit (a masked token) is written as null.
    private static void WriteFloat(Utf8JsonWriter json, string name, float value)
    {
        json.WritePropertyName(name);
        WriteFloatValue(json, value);
    }

    private static void WriteFloatValue(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteNullValue();
    }
}
