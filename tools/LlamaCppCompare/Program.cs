using System.Diagnostics;
using LlamaCppCompare;
using LlamaCppCompare.Gguf;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader.Gguf;
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
    config = options.ModelPath is { } model ? ModelFile.Config(model) : SyntheticPresets.Get(options.Preset);
}
catch (Exception e) when (e is ArgumentException or Transformer.Loader.ModelFormatException or IOException)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{CompareOptions.Usage}");
    return 2;
}

if (options.WriteGguf is { } target)
{
    var watch = Stopwatch.StartNew();
    var types = options.WriteType switch
    {
        "q4_0" => GgufMatrixTypes.Uniform(GgmlType.Q4_0),
        "q4_k_m" => GgufMatrixTypes.Q4_K_M,
        _ => GgufMatrixTypes.Uniform(GgmlType.Q8_0),
    };
    using (var weights = new SyntheticWeightSource(config, Seed))
        GgufModelWriter.Write(target, config, weights, types, w => LlamaGgufExporter.AddVocabulary(w, config));
    Console.Error.WriteLine($"wrote {target} ({new FileInfo(target).Length / 1e6:F1} MB, {options.Preset}, matrices {options.WriteType}) in {watch.Elapsed.TotalSeconds:F1} s");
    return 0;
}

CpuIsa? isa = null;
if (options.Isa is { } isaName && CpuIsaSupport.TryParse(isaName, out var parsedIsa)) isa = CpuIsaSelection.Require(parsedIsa, "--isa");
var protocol = new BenchProtocol(options.PromptTokens, options.GenTokens, options.Repetitions, options.Threads, options.KvType, isa);
if (protocol.Positions > config.MaxPositions)
{
    Console.Error.WriteLine($"error: {protocol.Positions} positions exceed {options.ModelPath ?? options.Preset}'s context of {config.MaxPositions}");
    return 2;
}
if (options.ModelPath is { } file) return Compare(file, $"model {Path.GetFileName(file)}", ModelFile.MatrixType(file), sameFile: true);

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

return Compare(path, $"preset {options.Preset}", "Q8_0", sameFile: false);

int Compare(string gguf, string subject, string fileType, bool sameFile)
{
LlamaCppEngine.ConfigureLogging(options.Verbose);
if (isa is { } level) LlamaCppEngine.UseBuild(level);
var engines = new List<IBenchEngine>();
try
{
    // Every engine stays loaded so their repetitions can interleave (the 1.1B preset: about 1.2 GB mapped
    // for llama.cpp, 1.2 GB int8 and 4.4 GB f32 for ours).
    engines.Add(new LlamaCppEngine(gguf, protocol, config.VocabSize, fileType));
    if (sameFile) engines.Add(new OurEngine(gguf, fileType, protocol));
    else foreach (var format in options.Formats) engines.Add(new OurEngine(config, Seed, format, protocol));

    var results = ComparisonDriver.Measure(engines, protocol, Console.Error);
    var report = new ComparisonReport(subject, protocol, results[0], results.Skip(1).ToArray(), config.VocabSize);
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
}
