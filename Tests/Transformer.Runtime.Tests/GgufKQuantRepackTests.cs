using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Loader.Gguf;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Real Q4_K_M files (Fixtures/gguf, written by llama.cpp's quantizer): every Q4_K super-block's scales d·s and
/// minimums dmin·m factor back bit for bit into one float32 and bytes (<see cref="Q4KScaleFactors"/>), and every Q6_K
/// super-block's blocks share one d, so an x86 backend holds every K-quant matrix in its compact interleaved layout.
/// </summary>
public sealed class GgufKQuantRepackTests
{
    private static readonly string FixtureDir = Path.Combine(TestModels.FixturesDirectory, "gguf");

    [Theory]
    [InlineData("tiny256-llama-q4_k_m.gguf")]
    [InlineData("tiny256-mixed-llama-q4_k_m.gguf")]
    public void Every_k_quant_matrix_of_a_llama_cpp_file_repacks_with_its_products_bitwise(string name)
    {
        using var file = GgufFile.Open(Path.Combine(FixtureDir, name));
        var isa = CpuIsaSupport.IsSupported(CpuIsa.Avx2) ? CpuIsa.Avx2 : CpuIsa.Scalar;
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        int q4k = 0, q6k = 0;
        Span<byte> codes = stackalloc byte[Q4KInterleavedWeight.SuperBlockBlocks];
        foreach (var tensor in file.Tensors.Where(t => t.Type is GgmlType.Q4_K or GgmlType.Q6_K && t.Shape.Length == 2))
        {
            int rows = tensor.Shape[0], columns = tensor.Shape[1];
            if (tensor.Type == GgmlType.Q4_K)
            {
                var w = Q4KWeight.FromGgml(file.Data(tensor).Span, rows, columns);
                for (int first = 0; first < w.Scales.Length; first += Q4KInterleavedWeight.SuperBlockBlocks)
                    foreach (var products in new[] { w.Scales.Slice(first, codes.Length).ToArray(), w.Mins.Slice(first, codes.Length).ToArray() })
                    {
                        Assert.True(Q4KScaleFactors.TryFactor(products, out float factor, codes), $"{tensor}: super-block at block {first} does not factor");
                        for (int j = 0; j < codes.Length; j++)
                            Assert.True(BitConverter.SingleToInt32Bits(factor * codes[j]) == BitConverter.SingleToInt32Bits(products[j]),
                                $"{tensor}: block {first + j}: {factor} · {codes[j]} is not {products[j]}");
                    }
                using var prepared = backend.PrepareQuantizedWeight(tensor.Name, w);
                if (Q4KMatMul.Interleaves(isa)) Assert.NotNull(Assert.IsType<CpuQ4KWeight>(prepared).Interleaved);
                q4k++;
            }
            else
            {
                var w = Q6KWeight.FromGgml(file.Data(tensor).Span, rows, columns);
                Assert.True(Q6KInterleavedWeight.CanRepack(w), $"{tensor}: a super-block's blocks do not share one d");
                using var prepared = backend.PrepareQuantizedWeight(tensor.Name, w);
                if (Q6KMatMul.Interleaves(isa)) Assert.NotNull(Assert.IsType<CpuQ6KWeight>(prepared).Interleaved);
                q6k++;
            }
        }
        Assert.True(q4k >= 4 && q6k >= 1, $"too few K-quant matrices: Q4_K {q4k}, Q6_K {q6k}");
    }
}
