using Transformer.Kernels.Backend;

namespace Transformer.Gpu.Tests.Support;

/// <summary>Step layouts for kernel tests that need only positions (RoPE, row gathers).</summary>
public static class Steps
{
    /// <summary>Row r at <paramref name="positions"/>[r], each in its own one-position sequence; every row wants logits.</summary>
    public static StepLayout AtPositions(int[] positions)
    {
        var step = new StepLayout(blockSize: 1);
        Refill(step, positions);
        return step;
    }

    /// <summary>Clears <paramref name="step"/> and refills it as <see cref="AtPositions"/> does, keeping the instance.</summary>
    public static void Refill(StepLayout step, int[] positions, bool[]? wantLogits = null)
    {
        step.Clear();
        // One table per row with the row's block at its position's index; the other entries stay unused.
        foreach (var (position, r) in positions.Select((p, r) => (p, r)))
        {
            var table = new int[position + 1];
            table[position] = r;
            step.AddRow(step.AddBlockTable(table), position, position, wantLogits?[r] ?? true);
        }
    }
}
