using System.Text.Json;
using Transformer.Cli.Bench.Limits;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Cli.Tests;

/// <summary><c>bench --limits</c>: positive finite peaks for every path this CPU runs, and every row's % of bound (no timed asserts).</summary>
public sealed class BenchLimitsTests
{
    private static bool Positive(double x) => double.IsFinite(x) && x > 0;

    [Fact]
    public void Every_supported_path_gets_positive_finite_figures()
    {
        var limits = MachineLimits.Measure(2, CpuIsaSupport.Supported);
        Assert.True(Positive(limits.ReadGigabytesPerSecondOneThread) && Positive(limits.ReadGigabytesPerSecond));
        Assert.Equal(CpuIsaSupport.Supported.Select(CpuIsaSupport.Name), limits.Paths.Select(p => p.Isa));
        foreach (var p in limits.Paths)
            Assert.True(Positive(p.FmaGflopsOneThread) && Positive(p.FmaGflops) && Positive(p.Int8GopsOneThread) && Positive(p.Int8Gops), $"{p.Isa}: {p}");
    }

    /// <summary>
    /// The int8 step limits measures for each path is the one that path's int8 matmul runs here: a CPU backend that
    /// repacks its int8 weights multiplies them with the interleaved kernel (256-bit vpdpbusd where it says so, else
    /// the AVX2 step), one that keeps them row-major with its own path's kernel.
    /// </summary>
    [Fact]
    public void Each_paths_int8_step_is_the_one_its_backends_int8_matmul_runs()
    {
        var repacked = CpuIsaSupport.Supported.ToDictionary(isa => isa, isa =>
        {
            using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
            using var weight = backend.PrepareQuantizedWeight("w", Q8Weight.Quantize(new float[8 * 32], 8, 32));
            return Assert.IsType<CpuQ8Weight>(weight).Interleaved is not null;
        });
        foreach (var isa in CpuIsaSupport.Supported)
            Assert.True((!repacked[isa] ? isa : Q8MatMul.UsesVpdpbusd(isa) ? CpuIsa.AvxVnni : CpuIsa.Avx2) == Q8MatMul.Int8Step(isa),
                $"{isa}: the kernels name the {Q8MatMul.Int8Step(isa)} int8 step, the backend {(repacked[isa] ? "repacks" : "keeps row-major weights")}");
        var limits = MachineLimits.Measure(1, CpuIsaSupport.Supported);
        foreach (var isa in CpuIsaSupport.Supported)
        {
            string measured = limits.Path(isa)!.Int8Instruction;
            Assert.Equal(Q8MatMul.Int8Instruction(isa), measured);
            bool vpdpbusd = repacked[isa] && Q8MatMul.UsesVpdpbusd(isa);
            Assert.True(vpdpbusd == measured.Contains("vpdpbusd"), $"{isa}: limits measure '{measured}', the backend's int8 matmul {(vpdpbusd ? "runs" : "does not run")} vpdpbusd");
        }
    }

    [Fact]
    public async Task Rows_print_their_percent_of_bound_in_text_and_json()
    {
        var text = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--quant", "int8", "--threads", "1", "--prompt-tokens", "8", "--gen-tokens", "4", "--reps", "1");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("% of bandwidth bound", text.Output);
        Assert.Contains("% of int8 compute bound", text.Output);

        var json = await CliRun.InvokeAsync("bench", "--limits", "--json", "--preset", "tiny", "--quant", "f32", "--threads", "1", "--prompt-tokens", "8", "--gen-tokens", "4", "--reps", "1");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Output);
        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.True(Positive(row.GetProperty("decode_pct_of_bandwidth_bound").GetDouble()));
        Assert.True(Positive(row.GetProperty("prefill_pct_of_compute_bound").GetDouble()));
        Assert.Equal("f32", row.GetProperty("compute_kernel").GetString());
        Assert.Equal(CpuIsaSupport.Supported.Count, doc.RootElement.GetProperty("limits").GetProperty("paths").GetArrayLength());
    }

    [Fact]
    public async Task Limits_alone_print_the_table()
    {
        var result = await CliRun.InvokeAsync("bench", "--limits", "--threads", "1");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("machine limits", result.Output);
        foreach (var isa in CpuIsaSupport.Supported) Assert.Contains($"  {CpuIsaSupport.Name(isa)} ", result.Output);
    }
}
