using System.Diagnostics;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Runtime.Diagnostics;
using Transformer.Runtime.Synthetic;

namespace Transformer.Cli.Bench;

/// <summary>
/// Measures one configuration end to end on synthetic weights or a model file: load (generate or read, then prepare), an untimed warm-up of
/// the same work (so tiered compilation and page faults are behind it), then <see cref="BenchSettings.Repetitions"/>
/// timed runs from an empty cache, each one batched prefill of the prompt followed by greedy one-token decode
/// steps, timed per op. The best prefill and the best decode over the repetitions are reported, each with its
/// own breakdown: on a shared machine the slowest runs measure the neighbours, the fastest the engine.
/// </summary>
public static class BenchRunner
{
    /// <summary>Decode steps of the warm-up (enough for every decode-path method to be called and tiered up).</summary>
    private const int WarmUpDecodeSteps = 8;

    /// <summary>Runs the configuration and returns its figures.</summary>
    /// <exception cref="ArgumentException">The prompt and generated tokens do not fit the preset's context.</exception>
    public static BenchResult Run(BenchSettings settings)
    {
        using var files = settings.ModelPath is { } path ? ModelFiles.Open(path) : null;
        var config = files?.Config ?? SyntheticPresets.Get(settings.Preset);
        int positions = settings.PromptTokens + settings.GenTokens;
        if (settings.PromptTokens < 1 || settings.GenTokens < 1 || settings.Repetitions < 1)
            throw new ArgumentException("--prompt-tokens, --gen-tokens and --reps must be at least 1");
        if (positions > config.MaxPositions)
            throw new ArgumentException($"{settings.PromptTokens} prompt + {settings.GenTokens} generated tokens exceed {settings.Preset}'s context of {config.MaxPositions}");
        // A file's weights are read as stored (the model takes them from the files, which stay open until it is disposed).
        IWeightSource weights = files?.Weights ?? new SyntheticWeightSource(config, matrixType: settings.Weights.Storage);

        using var selection = BackendSelection.Create(settings.Device, CpuIsaSupport.Name(settings.Isa), settings.Threads);
        var cpu = selection.Backend as CpuBackend;
        using var profiler = new ProfilingBackend(selection.Backend);
        long loadStart = Stopwatch.GetTimestamp();
        using var model = DecoderModels.Create(config, weights, profiler,
            new ModelOptions { WeightFormat = settings.Weights.Format, PrefillChunk = settings.PromptTokens }, ownsWeights: files is null);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;

        int[] tokens = Tokens(positions, config.VocabSize);
        MeasureOnce(model, profiler, tokens, settings.PromptTokens, Math.Min(WarmUpDecodeSteps, settings.GenTokens));
        var best = MeasureOnce(model, profiler, tokens, settings.PromptTokens, settings.GenTokens);
        for (int rep = 1; rep < settings.Repetitions; rep++)
        {
            var run = MeasureOnce(model, profiler, tokens, settings.PromptTokens, settings.GenTokens);
            if (run.PrefillSeconds < best.PrefillSeconds) best = best with { PrefillSeconds = run.PrefillSeconds, PrefillMs = run.PrefillMs };
            if (run.DecodeSeconds < best.DecodeSeconds) best = best with { DecodeSeconds = run.DecodeSeconds, DecodeMs = run.DecodeMs };
        }

        long bytesPerToken = model.DecodeBytesPerToken;
        double decodeRate = settings.GenTokens / best.DecodeSeconds;
        return new BenchResult
        {
            Preset = settings.Preset,
            Device = selection.Device,
            Backend = selection.Backend.Description,
            DeviceReason = selection.Reason,
            // The ISA and thread count are the CPU backend's; a GPU row has neither.
            Isa = cpu is null ? "-" : CpuIsaSupport.Name(cpu.Isa),
            Quant = settings.Weights.Name,
            Threads = cpu?.Options.EffectiveThreads ?? 0,
            PromptTokens = settings.PromptTokens,
            GenTokens = settings.GenTokens,
            Repetitions = settings.Repetitions,
            LoadSeconds = loadSeconds,
            PrefillTokensPerSecond = settings.PromptTokens / best.PrefillSeconds,
            DecodeTokensPerSecond = decodeRate,
            WeightBytesPerToken = bytesPerToken,
            DecodeWeightGigabytesPerSecond = bytesPerToken * decodeRate / 1e9,
            PrefillMilliseconds = best.PrefillMs,
            DecodeMillisecondsPerToken = best.DecodeMs,
            PrefillOperationsPerToken = PrefillOperationsPerToken(config),
            ComputeKernel = settings.Weights.Format is WeightFormat.Q8 or WeightFormat.Q4 || weights.Tensors.Any(IsStoredQuantized) ? "int8" : "f32",
        };
    }

    /// <summary>
    /// Operations (a multiply and an add per weight) of one prompt token's weight matmuls in every layer: the q, k, v
    /// and output projections and the gated MLP's three. Attention scores and the classifier (run for the last
    /// position only) are left out, so the compute bound derived from it is a ceiling.
    /// </summary>
    public static long PrefillOperationsPerToken(Loader.Config.ModelConfig c) =>
        2L * c.NumLayers * ((long)c.HiddenSize * (c.QueryWidth + 2 * c.KvWidth) + (long)c.QueryWidth * c.HiddenSize + 3L * c.IntermediateSize * c.HiddenSize);

    /// <summary>
    /// A matrix a file stores in the int8, 4-bit or K-quant layouts the int8 kernels run (pre-quantized safetensors, a
    /// Q8_0, Q4_0 or Q4_K_M GGUF): its rows are bound by the int8 peak, not the f32 one.
    /// </summary>
    private static bool IsStoredQuantized(Kernels.Tensors.HostTensor tensor) =>
        tensor.Name.EndsWith(Runtime.Llama.LlamaWeights.QuantizedValuesSuffix, StringComparison.Ordinal)
        || tensor.Name.EndsWith(Loader.Gguf.GgufQ4_0.CodesSuffix, StringComparison.Ordinal)
        || tensor.Name.EndsWith(Loader.Gguf.GgufKQuants.Q4KCodesSuffix, StringComparison.Ordinal)
        || tensor.Name.EndsWith(Loader.Gguf.GgufKQuants.Q6KBlocksSuffix, StringComparison.Ordinal);

    /// <summary>
    /// One run from an empty cache: the prompt <c>tokens[..promptTokens]</c> in one batch, then
    /// <paramref name="decodeSteps"/> single-token steps fed the following fixed ids (not the argmax, so every
    /// run and every path decodes the same stream). The argmax still runs each step, as in generation.
    /// </summary>
    private static RunTimes MeasureOnce(DecoderModel model, ProfilingBackend profiler, int[] tokens, int promptTokens, int decodeSteps)
    {
        using var sequence = model.CreateSequence(promptTokens + decodeSteps);
        profiler.Profile.Reset();
        long start = Stopwatch.GetTimestamp();
        sequence.AppendAndArgmax(tokens.AsSpan(0, promptTokens));
        double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var prefillMs = Breakdown(profiler.Profile, 1);

        profiler.Profile.Reset();
        start = Stopwatch.GetTimestamp();
        for (int i = 0; i < decodeSteps; i++) sequence.AppendAndArgmax(tokens.AsSpan(promptTokens + i, 1));
        double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new RunTimes(prefillSeconds, prefillMs, decodeSeconds, Breakdown(profiler.Profile, decodeSteps));
    }

    private sealed record RunTimes(double PrefillSeconds, Dictionary<string, double> PrefillMs, double DecodeSeconds, Dictionary<string, double> DecodeMs);

    /// <summary>Deterministic ids spread over the vocabulary (synthetic weights make their meaning irrelevant).</summary>
    private static int[] Tokens(int count, int vocab)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)((i * 7919L + 1) % vocab);
        return tokens;
    }

    private static Dictionary<string, double> Breakdown(OpProfile profile, int divisor)
    {
        var result = new Dictionary<string, double>();
        foreach (var category in OpProfile.Categories)
        {
            if (profile.Calls(category) == 0) continue;
            result[CategoryName(category)] = profile.Time(category).TotalMilliseconds / divisor;
        }
        return result;
    }

    /// <summary>The snake_case name a category has in the output.</summary>
    public static string CategoryName(OpCategory category) => category switch
    {
        OpCategory.LmHead => "lm_head",
        _ => category.ToString().ToLowerInvariant(),
    };
}
