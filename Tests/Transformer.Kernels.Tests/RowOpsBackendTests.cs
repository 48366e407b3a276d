using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Tests.Shared;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The row-wise ops of the CPU backend (RMSNorm, RoPE, SwiGLU, GeGLU) split their rows over the worker pool once a
/// tensor is large enough: every row must still be the single-row op's bits, whichever thread ran it, at sizes on both
/// sides of the split threshold.
/// </summary>
public sealed class RowOpsBackendTests
{
    private const int Columns = 256, HeadDim = 64;

    // 3 rows stay on the caller (768 values); 40 and 97 rows (10 240 and 24 832 values) go to the pool, unevenly.
    public static readonly TheoryData<int, int> Cases = new() { { 3, 1 }, { 3, 3 }, { 40, 2 }, { 97, 2 }, { 97, 3 } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rms_norm_rows_are_the_single_row_bits(int rows, int threads)
    {
        float[] x = TestArrays.Uniform(1, rows * Columns, 2f), weight = TestArrays.Uniform(2, Columns, 1f);
        var expected = new float[x.Length];
        for (int r = 0; r < rows; r++) RmsNorm.Compute(x.AsSpan(r * Columns, Columns), weight, 1e-5f, expected.AsSpan(r * Columns, Columns));
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        using var input = backend.Upload(x, rows, Columns);
        using var w = backend.Upload(weight, 1, Columns);
        using var output = backend.Allocate(rows, Columns);
        backend.RmsNorm(input, w, 1e-5f, output);
        Assert.Equal(expected, Download(backend, output, x.Length));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gated_activation_rows_are_the_single_row_bits(int rows, int threads)
    {
        float[] gate = TestArrays.Uniform(3, rows * Columns, 4f), up = TestArrays.Uniform(4, rows * Columns, 2f);
        var swiGlu = new float[gate.Length];
        var geGlu = new float[gate.Length];
        for (int r = 0; r < rows; r++)
        {
            var g = gate.AsSpan(r * Columns, Columns);
            var u = up.AsSpan(r * Columns, Columns);
            SwiGlu.Compute(g, u, swiGlu.AsSpan(r * Columns, Columns));
            GeGlu.Compute(g, u, geGlu.AsSpan(r * Columns, Columns));
        }
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        using var g1 = backend.Upload(gate, rows, Columns);
        using var u1 = backend.Upload(up, rows, Columns);
        backend.SwiGlu(g1, u1, g1); // in place, as the models call it
        Assert.Equal(swiGlu, Download(backend, g1, gate.Length));
        using var g2 = backend.Upload(gate, rows, Columns);
        using var y = backend.Allocate(rows, Columns);
        using var u2 = backend.Upload(up, rows, Columns);
        backend.GeGlu(g2, u2, y);
        Assert.Equal(geGlu, Download(backend, y, gate.Length));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rope_rows_rotate_at_their_own_positions(int rows, int threads)
    {
        const int maxPositions = 512, pairs = HeadDim / 2;
        int[] positions = Enumerable.Range(0, rows).Select(r => (r * 37 + 5) % maxPositions).ToArray();
        var step = new StepLayout(16);
        int table = step.AddBlockTable(Enumerable.Range(0, maxPositions / 16).ToArray());
        foreach (int p in positions) step.AddRow(table, p, 0, wantLogits: false);
        float[] inverse = Enumerable.Range(0, pairs).Select(i => MathF.Pow(10000f, -2f * i / HeadDim)).ToArray();
        var (cos, sin) = RopeTable.ComputeHost(inverse, maxPositions, 1f);
        float[] x = TestArrays.Uniform(5, rows * Columns, 1f), expected = x.ToArray();
        for (int r = 0; r < rows; r++)
            Rope.Apply(expected.AsSpan(r * Columns, Columns), HeadDim, cos.AsSpan(positions[r] * pairs, pairs), sin.AsSpan(positions[r] * pairs, pairs), RopeStyle.RotateHalf);
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        using var rope = backend.CreateRope(inverse, maxPositions, RopeStyle.RotateHalf);
        using var tensor = backend.Upload(x, rows, Columns);
        backend.ApplyRope(tensor, HeadDim, step, rope);
        Assert.Equal(expected, Download(backend, tensor, x.Length));
    }

    private static float[] Download(CpuBackend backend, DeviceTensor tensor, int length)
    {
        var values = new float[length];
        backend.Download(tensor, values);
        return values;
    }
}
