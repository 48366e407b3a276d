using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Sampling;
using Transformer.Runtime.Synthetic;

namespace Transformer.Runtime.Tests;

/// <summary>
/// After warm-up, a decode step allocates nothing on the calling thread: no GC work grows with the
/// number of generated tokens. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>.
/// </summary>
public sealed class DecodeAllocationTests(ITestOutputHelper output)
{
    private const int WarmUpSteps = 8;
    private const int MeasuredSteps = 32;

    public static TheoryData<WeightFormat> Formats() => new(WeightFormat.F32, WeightFormat.Q8);

    [Theory]
    [MemberData(nameof(Formats))]
    public void AppendAndArgmax_of_one_token_allocates_nothing_after_warm_up(WeightFormat format)
    {
        using var model = TinyModel(format);
        using var sequence = model.CreateSequence(WarmUpSteps + MeasuredSteps + 8);
        var one = new[] { sequence.AppendAndArgmax([1, 2, 3, 4]) };
        for (int i = 0; i < WarmUpSteps; i++) one[0] = sequence.AppendAndArgmax(one);

        long processBefore = GC.GetTotalAllocatedBytes(precise: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < MeasuredSteps; i++) one[0] = sequence.AppendAndArgmax(one);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long processAllocated = GC.GetTotalAllocatedBytes(precise: true) - processBefore;

        output.WriteLine($"{format}: {allocated / (double)MeasuredSteps:F1} bytes per decoded token on the calling thread, " +
                         $"{processAllocated / (double)MeasuredSteps:F1} in the whole process (test host included)");
        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void The_greedy_generation_loop_allocates_nothing_per_token_after_warm_up(WeightFormat format)
    {
        using var model = TinyModel(format);
        using var sequence = model.CreateSequence(WarmUpSteps + MeasuredSteps + 8);
        var options = new GenerationOptions { MaxNewTokens = WarmUpSteps + MeasuredSteps, Sampling = SamplingOptions.Greedy, StopAtEos = true };
        // The stop check runs every step, but on an id the model cannot produce: random weights may well pick
        // the real EOS, and stopping early would end the measurement.
        int[] stopTokens = [model.Config.VocabSize];
        using var tokens = TokenGenerator.Generate(sequence, [1, 2, 3, 4], options, stopTokens, cancellation: TestContext.Current.CancellationToken).GetEnumerator();
        for (int i = 0; i < WarmUpSteps; i++) Assert.True(tokens.MoveNext());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < MeasuredSteps; i++) Assert.True(tokens.MoveNext());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{format}: TokenGenerator loop, {allocated / (double)MeasuredSteps:F1} bytes per token on the calling thread");
        Assert.Equal(0, allocated);
    }

    private static LlamaModel TinyModel(WeightFormat format)
    {
        var config = SyntheticPresets.Get("tiny");
        // Two workers, so the pool's dispatch (not only the caller running alone) is part of what is measured.
        return new LlamaModel(config, new SyntheticWeightSource(config), new CpuBackend(new CpuBackendOptions { Threads = 2 }),
            new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
    }
}
