using System.Diagnostics;
using LlamaCppCompare;
using LlamaCppCompare.Gguf;
using Transformer.Runtime.Synthetic;

// Both engines get the same weights: the GGUF is written from the generator our engine reads in memory.
const ulong Seed = 0x5EED;
// Bump when the exporter's output changes, so a cached file from an older exporter is not reused.
const int ExporterVersion = 1;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CompareOptions.Usage);
    return 0;
}

CompareOptions options;
Transformer.Loader.Config.ModelConfig config;
try
{
    options = CompareOptions.Parse(args);
    config = SyntheticPresets.Get(options.Preset);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{CompareOptions.Usage}");
    return 2;
}

var protocol = new BenchProtocol(options.PromptTokens, options.GenTokens, options.Repetitions, options.Threads, options.KvType);
if (protocol.Positions > config.MaxPositions)
{
    Console.Error.WriteLine($"error: {protocol.Positions} positions exceed {options.Preset}'s context of {config.MaxPositions}");
    return 2;
}

string path = Path.Combine(options.GgufDirectory, $"synthetic-{options.Preset.ToLowerInvariant()}-{Seed:x}-q8_0-v{ExporterVersion}.gguf");
if (options.Regenerate || !File.Exists(path))
{
    Directory.CreateDirectory(options.GgufDirectory);
    string partial = path + ".partial";
    var sw = Stopwatch.StartNew();
    LlamaGgufExporter.Write(config, partial, Seed);
    File.Move(partial, path, overwrite: true); // never leave a truncated file under the final name
    Console.Error.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1e6:F1} MB) in {sw.Elapsed.TotalSeconds:F1} s");
}
else
{
    Console.Error.WriteLine($"reusing {path}");
}

LlamaCppEngine.ConfigureLogging(options.Verbose);
var engines = new List<IBenchEngine>();
try
{
    // Every engine stays loaded so their repetitions can interleave (the 1.1B preset: about 1.2 GB mapped
    // for llama.cpp, 1.2 GB int8 and 4.4 GB f32 for ours).
    engines.Add(new LlamaCppEngine(path, protocol, config.VocabSize));
    foreach (var format in options.Formats) engines.Add(new OurEngine(config, Seed, format, protocol));

    var results = ComparisonDriver.Measure(engines, protocol, Console.Error);
    var report = new ComparisonReport(options.Preset, protocol, results[0], results.Skip(1).ToArray());
    if (options.Json) report.PrintJson(Console.Out);
    else report.PrintTable(Console.Out);
    if (options.Concurrency.Count > 0) BatchedComparison.Run(engines, protocol, options.Concurrency, Console.Out, Console.Error);
    return 0;
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
finally
{
    foreach (var engine in engines) engine.Dispose();
}
