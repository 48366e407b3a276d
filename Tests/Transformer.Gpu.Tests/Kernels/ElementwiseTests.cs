using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>SwiGLU, GeGLU, scale, soft cap, residual add, bias add and RMSNorm against the CPU scalar references.</summary>
public abstract class ElementwiseTests(AcceleratorFixture fixture)
{
    private static readonly Gen<(int Rows, int Columns, int Seed)> Shapes =
        from rows in Gen.Choose(1, 6)
        from columns in Gen.Choose(1, 64)
        from seed in Gen.Choose(0, int.MaxValue)
        select (rows, columns, seed);

    [Fact]
    public void SwiGluMatchesReference()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            float[] gate = TestArrays.Uniform(s.Seed, s.Rows * s.Columns, 6f), up = TestArrays.Uniform(s.Seed + 1, s.Rows * s.Columns, 2f);
            var expected = new float[gate.Length];
            SwiGlu.Reference(gate, up, expected);
            using var g = backend.Upload(gate, s.Rows, s.Columns);
            using var u = backend.Upload(up, s.Rows, s.Columns);
            using var y = backend.Allocate(s.Rows, s.Columns);
            backend.SwiGlu(g, u, y);
            var actual = new float[gate.Length];
            backend.Download(y, actual);
            Close.All(expected, actual, what: "swiglu");
        });
    }

    [Fact]
    public void AddAndAddBiasMatchHostArithmetic()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            float[] x = TestArrays.Uniform(s.Seed, s.Rows * s.Columns), y = TestArrays.Uniform(s.Seed + 1, s.Rows * s.Columns), bias = TestArrays.Uniform(s.Seed + 2, s.Columns);
            var expected = new float[x.Length];
            for (int i = 0; i < x.Length; i++) expected[i] = x[i] + y[i] + bias[i % s.Columns];
            using var a = backend.Upload(x, s.Rows, s.Columns);
            using var b = backend.Upload(y, s.Rows, s.Columns);
            using var c = backend.Upload(bias, 1, s.Columns);
            backend.Add(a, b);
            backend.AddBias(a, c);
            var actual = new float[x.Length];
            backend.Download(a, actual);
            // Two float additions in the same order on both sides: exact.
            Assert.Equal(expected, actual);
        });
    }

    [Fact]
    public void GeGluScaleAndSoftCapMatchReferences()
    {
        // Gemma's ops: GeGLU with tanh-GELU, the embedding scale, and soft-capping.
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            float[] gate = TestArrays.Uniform(s.Seed, s.Rows * s.Columns, 6f), up = TestArrays.Uniform(s.Seed + 1, s.Rows * s.Columns, 2f);
            var expected = new float[gate.Length];
            GeGlu.Reference(gate, up, expected);
            float[] capped = expected.Select(v => v * 7.5f).ToArray();
            SoftCap.Reference(capped, 4f);
            using var g = backend.Upload(gate, s.Rows, s.Columns);
            using var u = backend.Upload(up, s.Rows, s.Columns);
            using var y = backend.Allocate(s.Rows, s.Columns);
            backend.GeGlu(g, u, y);
            var actual = new float[gate.Length];
            backend.Download(y, actual);
            Close.All(expected, actual, what: "geglu");
            backend.Scale(y, 7.5f);
            backend.SoftCap(y, 4f);
            backend.Download(y, actual);
            Close.All(capped, actual, what: "scale + softcap");
        });
    }

    [Fact]
    public void RmsNormMatchesReference()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            float[] x = TestArrays.Uniform(s.Seed, s.Rows * s.Columns, 3f), weight = TestArrays.Uniform(s.Seed + 1, s.Columns);
            const float eps = 1e-5f;
            var expected = new float[x.Length];
            for (int t = 0; t < s.Rows; t++)
                RmsNorm.Reference(x.AsSpan(t * s.Columns, s.Columns), weight, eps, expected.AsSpan(t * s.Columns, s.Columns));
            using var input = backend.Upload(x, s.Rows, s.Columns);
            using var w = backend.Upload(weight, 1, s.Columns);
            using var output = backend.Allocate(s.Rows, s.Columns);
            backend.RmsNorm(input, w, eps, output);
            var actual = new float[x.Length];
            backend.Download(output, actual);
            Close.All(expected, actual, what: "rmsnorm");
        });
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuElementwiseTests(IlgpuCpuFixture fixture) : ElementwiseTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClElementwiseTests(OpenClFixture fixture) : ElementwiseTests(fixture);
