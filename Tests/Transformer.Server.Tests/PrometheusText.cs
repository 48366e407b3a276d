using System.Globalization;
using System.Text.RegularExpressions;

namespace Transformer.Server.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4): HELP and TYPE lines, samples
/// with escaped label values, float values including +Inf/-Inf/NaN. It throws on any line that does not
/// follow the format, on a sample whose family has no TYPE, and on histograms whose buckets are not
/// cumulative or whose +Inf bucket differs from _count. Nothing in .NET parses this format, hence this.
/// </summary>
public sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyDictionary<string, string> Types { get; }
    public IReadOnlyList<Sample> Samples { get; }

    private PrometheusText(Dictionary<string, string> types, List<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>The one sample of a metric without labels.</summary>
    public double Value(string name) => Samples.Single(s => s.Name == name && s.Labels.Count == 0).Value;

    /// <summary>The sum over every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    public string Summary() => string.Join('\n', Samples.Where(s => !s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s =>
        $"{s.Name}{(s.Labels.Count == 0 ? "" : "{" + string.Join(',', s.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}")} {s.Value.ToString(CultureInfo.InvariantCulture)}"));

    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)(?: (-?[0-9]+))?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"\G([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\[\\""n])*)""(?:,|$)")]
    private static partial Regex Label();

    private static readonly HashSet<string> MetricTypes = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>();
        var samples = new List<Sample>();
        int lineNumber = 0;
        foreach (string line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var comment = Comment().Match(line);
                if (!comment.Success) continue; // other comments are allowed
                if (comment.Groups[1].Value == "TYPE")
                {
                    string type = comment.Groups[3].Value;
                    if (!MetricTypes.Contains(type)) throw new FormatException($"line {lineNumber}: unknown metric type '{type}'");
                    if (!types.TryAdd(comment.Groups[2].Value, type)) throw new FormatException($"line {lineNumber}: second TYPE for {comment.Groups[2].Value}");
                }
                continue;
            }
            var sample = SampleLine().Match(line);
            if (!sample.Success) throw new FormatException($"line {lineNumber}: not a sample: {line}");
            string name = sample.Groups[1].Value;
            if (Family(name, types) is null) throw new FormatException($"line {lineNumber}: {name} has no TYPE line before it");
            samples.Add(new Sample(name, Labels(sample.Groups[2].Value, lineNumber), Number(sample.Groups[3].Value, lineNumber)));
        }
        CheckHistograms(types, samples);
        return new PrometheusText(types, samples);
    }

    private static string? Family(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name)) return name;
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary")
                return name[..^suffix.Length];
        }
        return null;
    }

    private static Dictionary<string, string> Labels(string text, int lineNumber)
    {
        var labels = new Dictionary<string, string>();
        int at = 0;
        while (at < text.Length)
        {
            var label = Label().Match(text, at);
            if (!label.Success) throw new FormatException($"line {lineNumber}: malformed labels at '{text[at..]}'");
            string value = label.Groups[2].Value.Replace("\\n", "\n").Replace("\\\"", "\"").Replace("\\\\", "\\");
            if (!labels.TryAdd(label.Groups[1].Value, value)) throw new FormatException($"line {lineNumber}: label {label.Groups[1].Value} twice");
            at += label.Length;
        }
        return labels;
    }

    private static double Number(string text, int lineNumber) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new FormatException($"line {lineNumber}: '{text}' is not a number"),
    };

    private static void CheckHistograms(Dictionary<string, string> types, List<Sample> samples)
    {
        foreach (var (family, _) in types.Where(t => t.Value == "histogram"))
        {
            var series = samples.Where(s => s.Name == family + "_bucket")
                .GroupBy(s => string.Join(',', s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")));
            foreach (var buckets in series)
            {
                double previousBound = double.NegativeInfinity, previousCount = 0;
                foreach (var bucket in buckets)
                {
                    double bound = Number(bucket.Labels["le"], 0);
                    if (!(bound > previousBound) || bucket.Value < previousCount)
                        throw new FormatException($"{family}: buckets are not in order or not cumulative at le={bucket.Labels["le"]}");
                    previousBound = bound;
                    previousCount = bucket.Value;
                }
                if (!double.IsPositiveInfinity(previousBound)) throw new FormatException($"{family}: no +Inf bucket");
                double count = samples.Single(s => s.Name == family + "_count" && LabelsWithout(s) == buckets.Key).Value;
                if (count != previousCount) throw new FormatException($"{family}: _count {count} differs from the +Inf bucket {previousCount}");
            }
        }
    }

    private static string LabelsWithout(Sample s) => string.Join(',', s.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"));
}
