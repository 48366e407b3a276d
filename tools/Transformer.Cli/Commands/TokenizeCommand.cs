using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer tokenize</c>: the ids and pieces of a text under the model's tokenizer. With a Hugging Face
/// tokenizer (tokenizer.json, vocab.txt) the special tokens are exactly those Hugging Face's <c>encode</c> adds by
/// default (its post-processor's: BOS, [CLS] ... [SEP], or none), and none with --no-special; the pieces are the
/// vocabulary's spellings, as Hugging Face's <c>tokens</c>. Other tokenizers (SentencePiece .model, llama2.c, GGUF)
/// add BOS, and show each piece as the text it decodes to.
/// </summary>
public static class TokenizeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true, "Model folder or file, or a folder holding only tokenizer files (tokenizer.json, vocab.txt, tokenizer.model)");
        var text = new Option<string>("--text") { Description = "The text to tokenize", Required = true, HelpName = "TEXT" };
        var noSpecial = new Option<bool>("--no-special") { Description = "Add no special tokens (BOS, [CLS], [SEP]); special tokens written in the text still count" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...], \"pieces\": [...]}" };
        var command = new Command("tokenize", "Print the token ids and pieces of a text under the model's tokenizer") { model, text, noSpecial, json };
        CommandAction.Set(command, context, (parsed, _) =>
        {
            ITokenizer tokenizer = TokenizerLocator.Load(parsed.GetValue(model)!);
            (IReadOnlyList<int> ids, IReadOnlyList<string> pieces) = Tokenize(tokenizer, parsed.GetValue(text)!, !parsed.GetValue(noSpecial));
            if (parsed.GetValue(json))
            {
                WriteJson(context.StandardOutput, ids, pieces);
            }
            else
            {
                WriteTable(context.Out, ids, pieces);
            }

            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>The ids of <paramref name="text"/> and the piece each stands for.</summary>
    public static (IReadOnlyList<int> Ids, IReadOnlyList<string> Pieces) Tokenize(ITokenizer tokenizer, string text, bool addSpecialTokens)
    {
        if (tokenizer is IHuggingFaceTokenizer huggingFace)
        {
            IReadOnlyList<int> encoded = huggingFace.EncodeWithSpecialTokens(text, addSpecialTokens);
            return (encoded, [.. encoded.Select(huggingFace.PieceOf)]);
        }

        IReadOnlyList<int> ids = tokenizer.Encode(text, addSpecialTokens);
        var pieces = new string[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            pieces[i] = Encoding.UTF8.GetString(tokenizer.DecodeBytes(i == 0 ? -1 : ids[i - 1], ids[i]));
        }

        return (ids, pieces);
    }

    // One line of ids, then one line per token: its id and its piece as a JSON string (so spaces and newlines show).
    private static void WriteTable(TextWriter output, IReadOnlyList<int> ids, IReadOnlyList<string> pieces)
    {
        output.WriteLine(string.Join(' ', ids));
        for (int i = 0; i < ids.Count; i++)
        {
            output.WriteLine($"{ids[i],8}  {Quote(pieces[i])}");
        }

        output.Flush();
    }

    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string piece)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            writer.WriteStringValue(piece);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteJson(Stream output, IReadOnlyList<int> ids, IReadOnlyList<string> pieces)
    {
        using (var writer = new Utf8JsonWriter(output, Relaxed))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("ids");
            foreach (int id in ids)
            {
                writer.WriteNumberValue(id);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("pieces");
            foreach (string piece in pieces)
            {
                writer.WriteStringValue(piece);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
        output.Flush();
    }
}
