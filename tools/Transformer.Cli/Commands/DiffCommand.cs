using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Research;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer diff A.safetensors B.safetensors</c>: where two activation dumps (e.g. ours and a reference's)
/// part: per tensor max |Δ|, relative error and shapes, tensors only one has, and the first diverging layer.
/// </summary>
public static class DiffCommand
{
    /// <summary>Exit code when the files differ (beyond the tolerance, in shape, or in which tensors they hold).</summary>
    public const int Diverged = 3;

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var a = new Argument<string>("A") { Description = "The safetensors file under test (e.g. transformer logits --dump-activations)" };
        var b = new Argument<string>("B") { Description = "The reference safetensors file: relative errors are max|A − B| / max|B|" };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object: a, b, tolerance, diverges, first_diverging_tensor, first_diverging_layer, tensors[{name, shape_a, shape_b, max_abs_diff, max_abs_b, relative_error, diverges}], only_in_a, only_in_b, shape_mismatches",
        };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = $"Largest relative error (max|Δ| / max|B|) that still agrees; default {ActivationDiff.DefaultTolerance.ToString(CultureInfo.InvariantCulture)}",
            DefaultValueFactory = _ => ActivationDiff.DefaultTolerance,
            HelpName = "T",
        };
        tolerance.Validators.Add(r =>
        {
            double t = r.GetValueOrDefault<double>();
            if (!(t >= 0) || !double.IsFinite(t)) r.AddError($"--tolerance must be a finite number ≥ 0, got {t.ToString(CultureInfo.InvariantCulture)}");
        });
        var command = new Command("diff",
            $"Compare two safetensors activation dumps tensor by tensor and report the first diverging layer; exit code {Diverged} when they differ")
        {
            a, b, json, tolerance,
        };
        CommandAction.Set(command, context, (parsed, cancellation) =>
        {
            string pathA = parsed.GetValue(a)!, pathB = parsed.GetValue(b)!;
            var diff = ActivationDiff.Compare(pathA, pathB, parsed.GetValue(tolerance));
            if (parsed.GetValue(json)) context.Out.WriteLine(DiffReport.Json(diff, pathA, pathB));
            else DiffReport.WriteTable(context.Out, diff, pathA, pathB);
            return Task.FromResult(diff.Diverges ? Diverged : 0);
        });
        return command;
    }
}
