using System.CommandLine;
using Transformer.Cli.Quantize;
using Transformer.Loader.Gguf;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer quantize</c>: writes a pre-quantized copy of a model, in our safetensors layout (loads by memory
/// mapping without quantizing again; see <see cref="SafetensorsQuantizedWriter"/>) or as one GGUF file llama.cpp
/// loads too (see <see cref="GgufQuantizedWriter"/>).
/// </summary>
public static class QuantizeCommand
{
    /// <summary>The --format values.</summary>
    public const string Safetensors = "safetensors", Gguf = "gguf";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true,
            $"Model to quantize (safetensors folder, *.safetensors, *.index.json, or {ModelArgument.HubPrefix}OWNER/NAME[/FOLDER] from the Hugging Face Hub; --format gguf also takes a llama2.c *.bin or an F32/F16 GGUF)");
        var output = new Option<string>("--out", "-o") { Description = "Folder to write to: model.safetensors, config.json and tokenizer files, or model.gguf", Required = true, HelpName = "DIR" };
        var type = new Option<string>("--type")
        {
            Description = "Matrix type: q8_0 (int8 blocks of 32, f32 scales in safetensors, f16 in GGUF), q4_0 (ggml Q4_0: 4-bit codes, a scale per 32) or q4_k_m (llama.cpp's Q4_K_M mix: Q4_K, Q6_K for the classifier and some v/down projections)",
            DefaultValueFactory = _ => QuantizeType.All[0].Name,
            HelpName = string.Join('|', QuantizeType.Names),
        };
        type.AcceptOnlyFromAmong([.. QuantizeType.Names]);
        var format = new Option<string>("--format")
        {
            Description = "safetensors (our layout, default) or gguf (one file llama.cpp loads: its tensor names, tokenizer from a SentencePiece tokenizer.model)",
            DefaultValueFactory = _ => Safetensors,
            HelpName = $"{Safetensors}|{Gguf}",
        };
        format.AcceptOnlyFromAmong(Safetensors, Gguf);
        var command = new Command("quantize", "Write a pre-quantized (q8_0, q4_0 or q4_k_m) copy of a model that loads without quantizing again, as safetensors or GGUF")
        {
            model, output, type, format,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string destination = parsed.GetValue(output)!;
            var quantizeType = QuantizeType.Parse(parsed.GetValue(type)!);
            string source = await ModelArgument.ResolveAsync(parsed.GetValue(model)!, context, cancellation).ConfigureAwait(false);
            if (parsed.GetValue(format) == Gguf)
            {
                var summary = GgufQuantizedWriter.Write(source, destination, quantizeType);
                string types = string.Join(", ", summary.TensorsByType.OrderByDescending(p => p.Value).Select(p => $"{p.Value} {GgmlTypes.Name(p.Key)}"));
                context.Out.WriteLine($"wrote {Path.GetFullPath(summary.Path)}: tensors {types} (matrices as {quantizeType.Gguf.Name}; F16 where rows are not whole blocks, vectors F32)");
                context.Out.WriteLine(summary.Tokenizer is { } tokenizer
                    ? $"tokenizer: {Path.GetFileName(tokenizer)} written as a llama (SentencePiece) tokenizer"
                    : $"tokenizer: none written ({summary.TokenizerNote}); llama.cpp needs one to load the file");
                return 0;
            }
            var (quantized, kept) = SafetensorsQuantizedWriter.Write(source, destination, quantizeType);
            context.Out.WriteLine($"wrote {Path.Combine(Path.GetFullPath(destination), "model.safetensors")}: {quantized} matrices as {quantizeType.Description}, {kept} tensors kept as they were");
            return 0;
        });
        return command;
    }
}
