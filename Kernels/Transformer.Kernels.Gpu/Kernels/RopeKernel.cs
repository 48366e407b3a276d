using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Rotary embedding in place: each feature pair (a, b) of each head turns by the table's angle for the
/// row's own position. One thread per (row, head, pair); pairs never overlap, so threads never race.
/// </summary>
internal static class RopeKernel
{
    /// <summary>
    /// index = (row, head·pairs + pair), pairs = the table's rotated pairs (fewer than headDim/2 for partial
    /// rotary: the remaining features pass through). interleaved: 1 pairs (2i, 2i+1) (llama2.c), 0 pairs
    /// (i, i+pairs) (rotate_half).
    /// </summary>
    public static void Run(Index2D index, ArrayView<float> x, ArrayView<float> cos, ArrayView<float> sin, ArrayView<int> positions, RopeShape shape)
    {
        int t = index.X;
        int pairs = shape.TablePairs;
        int head = index.Y / pairs, i = index.Y % pairs;
        int first = shape.Interleaved != 0 ? 2 * i : i;
        int second = shape.Interleaved != 0 ? 2 * i + 1 : i + pairs;
        int rowStart = t * shape.Columns + head * shape.HeadDim;
        int tableIndex = positions[t] * shape.TablePairs + i;
        float c = cos[tableIndex], s = sin[tableIndex];
        float a = x[rowStart + first], b = x[rowStart + second];
        x[rowStart + first] = a * c - b * s;
        x[rowStart + second] = a * s + b * c;
    }
}

/// <summary>Shape of a rope launch.</summary>
internal readonly record struct RopeShape(int Columns, int HeadDim, int TablePairs, int Interleaved);
