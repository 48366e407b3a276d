using System.CommandLine;
using Transformer.Cli.Bench;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer quantize</c>: writes a pre-quantized (int8, Q8) copy of a Hugging Face model that loads by
/// memory mapping without quantizing again (see <see cref="Q8ModelWriter"/> for the tensor names).
/// </summary>
public static class QuantizeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true,
            $"Model with config.json (safetensors folder, *.safetensors, *.index.json, or {ModelArgument.HubPrefix}OWNER/NAME[/FOLDER] from the Hugging Face Hub)");
        var output = new Option<string>("--out", "-o") { Description = "Folder to write model.safetensors, config.json and tokenizer files to", Required = true, HelpName = "DIR" };
        var command = new Command("quantize", "Write a pre-quantized int8 (Q8) copy of a model that loads without quantizing again") { model, output };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string destination = parsed.GetValue(output)!;
            string source = await ModelArgument.ResolveAsync(parsed.GetValue(model)!, context, cancellation).ConfigureAwait(false);
            var (quantized, kept) = Q8ModelWriter.Write(source, destination);
            context.Out.WriteLine($"wrote {Path.Combine(Path.GetFullPath(destination), "model.safetensors")}: {quantized} matrices as int8 (Q8), {kept} tensors kept as they were");
            return 0;
        });
        return command;
    }
}
