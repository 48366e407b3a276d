using System.Diagnostics;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;

namespace LlamaCppCompare;

/// <summary>Runs the <see cref="BenchProtocol"/> on this project's engine (CPU backend) with the same synthetic weights.</summary>
public static class OurEngine
{
    /// <summary>Builds the model from <paramref name="config"/> with weights of <paramref name="seed"/> in <paramref name="format"/> and measures it.</summary>
    public static EngineResult Run(ModelConfig config, ulong seed, WeightFormat format, BenchProtocol protocol)
    {
        using var cpu = new CpuBackend(new CpuBackendOptions { Threads = protocol.Threads });
        long start = Stopwatch.GetTimestamp();
        // One batched pass for the whole prompt, as llama.cpp does with a batch of 512.
        var options = new ModelOptions { WeightFormat = format, PrefillChunk = Math.Max(protocol.PromptTokens, 1) };
        using var model = new LlamaModel(config, new SyntheticWeightSource(config, seed), cpu, options, ownsWeights: true);
        double loadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        int[] ids = protocol.TokenIds(config.VocabSize);
        var prompt = ids.AsSpan(0, protocol.PromptTokens);

        var logits = new float[config.VocabSize];
        using (var warm = model.CreateSequence(protocol.Positions))
        {
            warm.Append(prompt, logits);
            DecodeSteps(warm, ids, protocol.PromptTokens, BenchProtocol.WarmUpDecodeSteps);
        }

        double bestPrefill = double.PositiveInfinity, bestDecode = double.PositiveInfinity;
        for (int rep = 0; rep < protocol.Repetitions; rep++)
        {
            using var sequence = model.CreateSequence(protocol.Positions);
            long t = Stopwatch.GetTimestamp();
            sequence.AppendAndArgmax(prompt);
            bestPrefill = Math.Min(bestPrefill, Stopwatch.GetElapsedTime(t).TotalSeconds);
            t = Stopwatch.GetTimestamp();
            DecodeSteps(sequence, ids, protocol.PromptTokens, protocol.GenTokens);
            bestDecode = Math.Min(bestDecode, Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        string quant = format == WeightFormat.Q8 ? "int8" : "f32";
        return new EngineResult($"ours {quant}", $"{cpu.Description}; isa {CpuIsaSupport.Name(CpuIsaSelection.Default)}", loadSeconds,
            protocol.PromptTokens / bestPrefill, protocol.GenTokens / bestDecode, logits);
    }

    private static void DecodeSteps(Sequence sequence, int[] ids, int startPosition, int steps)
    {
        // The engine's own greedy argmax runs each step (as llama.cpp computes the logits); the next input is
        // the fixed id, so both engines see the same stream.
        for (int i = 0; i < steps; i++) sequence.AppendAndArgmax(ids.AsSpan(startPosition + i, 1));
    }
}
