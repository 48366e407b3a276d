using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer embed</c>: the sentence vector of a text (or of token ids) from an encoder folder such as a
/// sentence-transformers model, pooled and normalized as its modules.json says.
/// </summary>
public static class EmbedCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true,
            $"Encoder folder (config.json of model_type bert or nomic_bert, safetensors, modules.json), or {ModelArgument.HubPrefix}OWNER/NAME[/FOLDER]");
        var text = new Option<string>("--text") { Description = "Text to embed (tokenized with the tokenizer beside the model, special tokens added)", HelpName = "TEXT" };
        var tokens = new Option<string>("--tokens") { Description = "Token ids to embed instead of text, comma-separated (special tokens included)", HelpName = "IDS" };
        var json = new Option<bool>("--json") { Description = "Print {\"model\", \"dimensions\", \"tokens\", \"embedding\"} as JSON instead of one number per line" };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);
        var command = new Command("embed", "Print the embedding vector of a text from an encoder (BERT, nomic-bert, sentence-transformers)")
        {
            model, text, tokens, json, tokenizer, threads, quant, device,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(text) is null) == (result.GetValue(tokens) is null))
                result.AddError("give exactly one of --text and --tokens");
        });
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string path = await ModelArgument.ResolveAsync(parsed.GetValue(model)!, context, cancellation).ConfigureAwait(false);
            // As in run: the CLI creates the backend so --device reaches it; it outlives the model (disposed after it).
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, isa: null, parsed.GetValue(threads));
            using var embedder = EmbeddingModel.Load(path, new EmbeddingModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new Runtime.ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
            });
            var ids = parsed.GetValue(tokens) is { } list ? ParseIds(list) : embedder.Encode(parsed.GetValue(text)!);
            float[] vector = embedder.EmbedTokens(ids);
            if (parsed.GetValue(json))
            {
                context.Out.WriteLine(Json(embedder.ModelPath, ids, vector));
            }
            else
            {
                foreach (float v in vector) context.Out.WriteLine(v.ToString("R", CultureInfo.InvariantCulture));
            }
            context.Error.WriteLine($"device: {selection.Backend.Description}");
            return 0;
        });
        return command;
    }

    private static string Json(string model, IReadOnlyList<int> ids, float[] vector)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteNumber("dimensions", vector.Length);
            w.WriteStartArray("tokens");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("embedding");
            foreach (float v in vector) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static int[] ParseIds(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new ArgumentException($"--tokens: '{CliErrors.Quote(parts[i])}' is not a token id (a non-negative integer)");
        return ids;
    }
}
