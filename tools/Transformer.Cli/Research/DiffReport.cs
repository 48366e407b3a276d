using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Transformer.Cli.Research;

/// <summary>How <c>transformer diff</c> prints an <see cref="ActivationDiff"/>: a table and a verdict, or one JSON object.</summary>
public static class DiffReport
{
    /// <summary>One line per tensor (name, shape, max |Δ|, max |B|, relative error, verdict), then what only one file has, then the verdict.</summary>
    public static void WriteTable(TextWriter output, ActivationDiff diff, string pathA, string pathB)
    {
        output.WriteLine($"A: {pathA}{Describe(diff.MetadataA)}");
        output.WriteLine($"B: {pathB}{Describe(diff.MetadataB)}");
        if (diff.MetadataA.TryGetValue("tokens", out var tokensA) && diff.MetadataB.TryGetValue("tokens", out var tokensB) && tokensA != tokensB)
            output.WriteLine("note: the files were dumped for different tokens");
        int nameWidth = Math.Max("tensor".Length, diff.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
        int shapeWidth = Math.Max("shape".Length, diff.Tensors.Select(t => ShapeText(t).Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"{"tensor".PadRight(nameWidth)}  {"shape".PadRight(shapeWidth)}  {"max|Δ|",11}  {"max|B|",11}  {"rel",11}");
        foreach (var t in diff.Tensors)
        {
            string verdict = !t.SameShape ? "  SHAPE MISMATCH" : t.Diverges ? "  DIVERGES" : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{t.Name.PadRight(nameWidth)}  {ShapeText(t).PadRight(shapeWidth)}  {Number(t.MaxAbsDifference),11}  {Number(t.MaxAbsB),11}  {Number(t.RelativeError),11}{verdict}"));
        }
        foreach (string name in diff.OnlyInA) output.WriteLine($"only in A: {name}");
        foreach (string name in diff.OnlyInB) output.WriteLine($"only in B: {name}");

        string tolerance = diff.Tolerance.ToString("G3", CultureInfo.InvariantCulture);
        if (!diff.Diverges)
        {
            output.WriteLine($"no divergence: {diff.Tensors.Count} tensors agree within relative error {tolerance}");
            return;
        }
        int diverging = diff.Tensors.Count(t => t.Diverges);
        output.WriteLine($"diverging: {diverging} of {diff.Tensors.Count} tensors beyond relative error {tolerance}" +
            $"{(diff.OnlyInA.Count + diff.OnlyInB.Count > 0 ? $"; {diff.OnlyInA.Count} only in A, {diff.OnlyInB.Count} only in B" : "")}");
        if (diff.FirstDivergingTensor is { } first) output.WriteLine($"first diverging tensor: {first.Name}");
        if (diff.FirstDivergingTensorOfLayer is { } inLayer)
            output.WriteLine($"first diverging layer: {diff.FirstDivergingLayer} ({inLayer.Name}, relative error {Number(inLayer.RelativeError)})");
    }

    /// <summary>
    /// <c>{"a", "b", "tolerance", "diverges", "first_diverging_tensor", "first_diverging_layer", "tensors": [{"name",
    /// "shape_a", "shape_b", "max_abs_diff", "max_abs_b", "relative_error", "diverges"}], "only_in_a", "only_in_b",
    /// "shape_mismatches"}</c>; numbers that are not finite (a shape mismatch has none) are null.
    /// </summary>
    public static string Json(ActivationDiff diff, string pathA, string pathB)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("a", pathA);
            json.WriteString("b", pathB);
            json.WriteNumber("tolerance", diff.Tolerance);
            json.WriteBoolean("diverges", diff.Diverges);
            if (diff.FirstDivergingTensor is { } first) json.WriteString("first_diverging_tensor", first.Name);
            else json.WriteNull("first_diverging_tensor");
            if (diff.FirstDivergingLayer is { } layer) json.WriteNumber("first_diverging_layer", layer);
            else json.WriteNull("first_diverging_layer");
            json.WriteStartArray("tensors");
            foreach (var t in diff.Tensors)
            {
                json.WriteStartObject();
                json.WriteString("name", t.Name);
                WriteShape(json, "shape_a", t.ShapeA);
                WriteShape(json, "shape_b", t.ShapeB);
                WriteNumber(json, "max_abs_diff", t.MaxAbsDifference);
                WriteNumber(json, "max_abs_b", t.MaxAbsB);
                WriteNumber(json, "relative_error", t.RelativeError);
                json.WriteBoolean("diverges", t.Diverges);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteNames(json, "only_in_a", diff.OnlyInA);
            WriteNames(json, "only_in_b", diff.OnlyInB);
            WriteNames(json, "shape_mismatches", diff.Tensors.Where(t => !t.SameShape).Select(t => t.Name));
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Describe(IReadOnlyDictionary<string, string> metadata)
    {
        var parts = new[] { "model", "weights", "tokens" }.Where(metadata.ContainsKey).Select(k => $"{k} {metadata[k]}").ToArray();
        return parts.Length == 0 ? "" : $" ({string.Join("; ", parts)})";
    }

    private static string ShapeText(TensorComparison t) =>
        t.SameShape ? Shape(t.ShapeA) : $"{Shape(t.ShapeA)} vs {Shape(t.ShapeB)}";

    private static string Shape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Number(double value) =>
        double.IsNaN(value) ? "-" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("0.000E+00", CultureInfo.InvariantCulture);

    private static void WriteShape(Utf8JsonWriter json, string name, IReadOnlyList<int> shape)
    {
        json.WriteStartArray(name);
        foreach (int d in shape) json.WriteNumberValue(d);
        json.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static void WriteNames(Utf8JsonWriter json, string name, IEnumerable<string> names)
    {
        json.WriteStartArray(name);
        foreach (string n in names) json.WriteStringValue(n);
        json.WriteEndArray();
    }
}
