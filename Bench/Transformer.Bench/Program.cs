using BenchmarkDotNet.Running;

// Kernel micro-benchmarks. Examples:
//   dotnet run -c Release --project Bench/Transformer.Bench -- --filter '*Q8Gemv*'
//   dotnet run -c Release --project Bench/Transformer.Bench -- --filter '*' --job dry   (CI smoke test)
BenchmarkSwitcher.FromAssembly(typeof(Transformer.Bench.MatMulShapes).Assembly).Run(args);
