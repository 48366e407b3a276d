using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Cli.Research;
using Transformer.Loader.Safetensors;
using Transformer.Runtime;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer logits</c>: the model's next-token logits after every position of an input (text or token ids),
/// as a table of the most likely tokens or as JSON, and optionally every named intermediate activation of that run
/// as a safetensors file: what a researcher compares with a reference implementation.
/// </summary>
public static class LogitsCommand
{
    /// <summary>The <c>__metadata__</c> value of <c>format</c> in an activation dump.</summary>
    public const string DumpFormat = "transformer-activations";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Model: {ModelArgument.Forms}; default: the bundled {DefaultModel.Name}");
        var text = new Option<string?>("--text") { Description = "Input text, tokenized as run tokenizes a prompt (BOS first when the vocabulary has one)", HelpName = "TEXT" };
        var tokens = new Option<string?>("--tokens") { Description = "Input token ids, comma-separated (e.g. 1,403,407), used as given", HelpName = "ID[,ID...]" };
        var top = NumberOptions.OptionalInt("--top", [], $"Show the K most likely next tokens with their probabilities (default in the table: {LogitsReport.DefaultTableTop}; " +
            "with --json and no --top, every logit)", helpName: "K");
        var json = new Option<bool>("--json") { Description = "Print one JSON object: model, architecture, vocab_size, tokens, positions[{position, token, piece, logits | top[{id, piece, logit, probability}]}]" };
        var dump = new Option<string?>("--dump-activations")
        {
            Description = "Also write every named intermediate (token_embd, blk.N.attn_q, ..., result_output) for these tokens as [tokens, width] f32 tensors to a safetensors file",
            HelpName = "FILE",
        };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);

        var command = new Command("logits", "Print the next-token logits (or the top K tokens with probabilities) after every position of an input, and optionally dump every named activation")
        {
            model, text, tokens, top, json, dump, tokenizer, threads, quant, isa, device,
        };
        command.Validators.Add(r =>
        {
            bool hasText = r.GetResult(text) is { Implicit: false }, hasTokens = r.GetResult(tokens) is { Implicit: false };
            if (hasText == hasTokens) r.AddError("give the input as --text TEXT or as --tokens ID[,ID...] (exactly one of them)");
            if (r.GetValue(top) is < 1) r.AddError($"--top must be at least 1, got {r.GetValue(top)}");
        });
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            int[]? ids = parsed.GetValue(tokens) is { } list ? ParseTokens(list) : null;
            string? input = parsed.GetValue(text);
            if (input is { Length: 0 }) throw new ArgumentException("--text is empty: there is no token to compute logits after");

            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            string weights = parsed.GetValue(quant)!;
            var recorder = parsed.GetValue(dump) is null ? null : new ActivationRecorder();
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            using var languageModel = LanguageModel.Load(modelPath, new LanguageModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new ModelOptions { WeightFormat = KernelOptions.Format(weights), ActivationObserver = recorder is null ? null : recorder.Observe },
            });

            var config = languageModel.Config;
            ids ??= [.. languageModel.Encode(input!)];
            for (int i = 0; i < ids.Length; i++)
            {
                if ((uint)ids[i] >= (uint)config.VocabSize)
                    throw new ArgumentException($"--tokens: token id {ids[i]} (at index {i}) is outside the vocabulary of {config.VocabSize} ids (0 to {config.VocabSize - 1})");
            }
            if (ids.Length > languageModel.Model.MaxSequenceLength)
                throw new ContextOverflowException(languageModel.Model.MaxSequenceLength, ids.Length);

            float[] logits = languageModel.Logits(ids);
            var report = new LogitsReport(modelPath, config.Architecture, ids, logits, config.VocabSize, languageModel.Tokenizer);
            if (parsed.GetValue(json)) context.Out.WriteLine(report.Json(parsed.GetValue(top)));
            else report.WriteTable(context.Out, parsed.GetValue(top) ?? LogitsReport.DefaultTableTop);

            if (parsed.GetValue(dump) is { } dumpPath)
            {
                var metadata = new Dictionary<string, string>
                {
                    ["format"] = DumpFormat,
                    ["model"] = modelPath,
                    ["architecture"] = config.Architecture,
                    ["weights"] = weights,
                    ["tokens"] = string.Join(',', ids),
                };
                var tensors = recorder!.Tensors(ids.Length);
                SafetensorsWriter.Write(dumpPath, tensors, metadata);
                context.Error.WriteLine($"activations: {tensors.Count} tensors for {ids.Length} tokens written to {dumpPath}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The ids of a --tokens value: comma-separated non-negative integers.</summary>
    /// <exception cref="ArgumentException">The list is empty or an entry is not a token id.</exception>
    public static int[] ParseTokens(string list)
    {
        if (string.IsNullOrWhiteSpace(list)) throw new ArgumentException("--tokens is empty: give at least one token id");
        var ids = new List<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw new ArgumentException($"--tokens takes comma-separated token ids; '{CliErrors.Quote(part)}' is not one");
            ids.Add(id);
        }
        return [.. ids];
    }
}
