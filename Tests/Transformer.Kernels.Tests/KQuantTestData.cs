using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;

namespace Transformer.Kernels.Tests;

/// <summary>A random K-quant matmul problem: weight [Rows, SuperBlocks·256] and Tokens activation rows.</summary>
public sealed record KQuantCase(int Rows, int SuperBlocks, int Tokens, int Seed)
{
    public int K => SuperBlocks * 256;

    public int Blocks => K / Q8Format.BlockSize;

    /// <summary>Activations of varied magnitude per block, some all-zero blocks (the Q8 zero guard).</summary>
    public float[] Activations() => new Q8Case(Tokens, Blocks, 1, Seed ^ 0x5bd1e995).Weights().Select(v => 3 * v).ToArray();

    public Q8Activations Quantized()
    {
        var x = new Q8Activations(K);
        x.Quantize(Activations(), Tokens);
        return x;
    }

    /// <summary>
    /// Random ggml Q4_K super-blocks: f16 d and dmin of varied magnitude (some zero), random packed 6-bit scales and
    /// minimums (some all 63), codes biased towards 0 and 15.
    /// </summary>
    public byte[] Q4KBlocks()
    {
        var random = new Random(Seed);
        var blocks = new byte[Rows * SuperBlocks * GgmlQ4_K.BlockBytes];
        for (int b = 0; b < Rows * SuperBlocks; b++)
        {
            var block = blocks.AsSpan(b * GgmlQ4_K.BlockBytes, GgmlQ4_K.BlockBytes);
            int kind = random.Next(8);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)(kind == 0 ? 0f : random.NextSingle() * 0.01f));
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], (Half)(kind == 1 ? 0f : random.NextSingle() * 0.02f));
            random.NextBytes(block[4..]);
            if (kind == 2) block.Slice(4, 12).Fill(0xFF);
            if (kind == 3) block[16..].Fill(0x00);
            if (kind == 4) block[16..].Fill(0xFF);
        }
        return blocks;
    }

    /// <summary>Random ggml Q6_K super-blocks: random bits, int8 scales including ±127 and −128, f16 d (some zero).</summary>
    public byte[] Q6KBlocks()
    {
        var random = new Random(Seed);
        var blocks = new byte[Rows * SuperBlocks * GgmlQ6_K.BlockBytes];
        for (int b = 0; b < Rows * SuperBlocks; b++)
        {
            var block = blocks.AsSpan(b * GgmlQ6_K.BlockBytes, GgmlQ6_K.BlockBytes);
            random.NextBytes(block[..208]);
            int kind = random.Next(8);
            if (kind == 1) block.Slice(192, 16).Fill(0x80); // every scale −128
            if (kind == 2) block[..192].Fill(0xFF); // every code 63 → 31
            if (kind == 3) block[..192].Fill(0x00); // every code 0 → −32
            BinaryPrimitives.WriteHalfLittleEndian(block[208..], (Half)(kind == 0 ? 0f : (2 * random.NextSingle() - 1) * 0.001f));
        }
        return blocks;
    }

    public override string ToString() => $"rows {Rows}, K {K}, tokens {Tokens}, seed {Seed}";
}

internal static class KQuantTestData
{
    /// <summary>Shapes: 1..13 rows (4-row tiles and 0–3 leftover), one to three super-blocks, 1..9 tokens (4-token tiles and tails).</summary>
    public static Gen<KQuantCase> Cases { get; } =
        from rows in PropertyCoverage.Size(1, 13)
        from superBlocks in PropertyCoverage.Size(1, 3)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new KQuantCase(rows, superBlocks, tokens, seed);

    public static void AssertCovered(IReadOnlyList<KQuantCase> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(c => c.Rows), 1, 13, "rows");
        PropertyCoverage.AssertReaches(seen.Select(c => c.SuperBlocks), 1, 3, "super-blocks");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
    }

    public static bool SameBits(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));
}
