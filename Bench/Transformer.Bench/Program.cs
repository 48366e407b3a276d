using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Transformer.Bench;

// Kernel micro-benchmarks. Examples:
//   dotnet run -c Release --project Bench/Transformer.Bench -- --filter '*Q8Gemv*'
//   dotnet run -c Release --project Bench/Transformer.Bench -- --filter '*' --job dry --inProcess   (CI smoke test)
// Exits non-zero when any benchmark case fails (see RunOutcome).
foreach (var line in BenchPaths.SkippedReport().Concat(ChatTemplateBenchInputs.SkippedReport()).Concat(TokenizerBenchInputs.SkippedReport())) Console.WriteLine($"bench: {line}");
// Shape names such as "TinyLlama lm_head 32000x2048" are longer than BenchmarkDotNet's default 20-character parameter column.
var config = DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(30));
var summaries = BenchmarkSwitcher.FromAssembly(typeof(MatMulShapes).Assembly).Run(args, config);
// With a filter, something is meant to run; --list only prints the names.
bool expectBenchmarks = args.Any(arg => arg is "--filter" or "-f" || arg.StartsWith("--filter=")) && !args.Contains("--list");
return RunOutcome.ExitCode(summaries, expectBenchmarks, Console.Out);
