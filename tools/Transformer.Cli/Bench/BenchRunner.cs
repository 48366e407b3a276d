using System.Diagnostics;
using Transformer.Cli.Devices;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Runtime;
using Transformer.Runtime.Diagnostics;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;

namespace Transformer.Cli.Bench;

/// <summary>
/// Measures one configuration end to end on synthetic weights: load (generate + prepare), a warm-up,
/// one batched prefill of the prompt, then greedy one-token decode steps, each timed per op.
/// </summary>
public static class BenchRunner
{
    /// <summary>Tokens of the untimed warm-up prefill (JIT, tiered compilation, page faults of the weights).</summary>
    private const int WarmUpTokens = 8;

    /// <summary>Runs the configuration and returns its figures.</summary>
    /// <exception cref="ArgumentException">The prompt and generated tokens do not fit the preset's context.</exception>
    public static BenchResult Run(BenchSettings settings)
    {
        var config = SyntheticPresets.Get(settings.Preset);
        int positions = settings.PromptTokens + settings.GenTokens;
        if (settings.PromptTokens < 1 || settings.GenTokens < 1)
            throw new ArgumentException("--prompt-tokens and --gen-tokens must be at least 1");
        if (positions > config.MaxPositions)
            throw new ArgumentException($"{settings.PromptTokens} prompt + {settings.GenTokens} generated tokens exceed {settings.Preset}'s context of {config.MaxPositions}");

        using var selection = BackendSelection.Create(settings.Device, CpuIsaSupport.Name(settings.Isa), settings.Threads);
        var cpu = selection.Backend as CpuBackend;
        using var profiler = new ProfilingBackend(selection.Backend);
        long loadStart = Stopwatch.GetTimestamp();
        using var model = new LlamaModel(config, new SyntheticWeightSource(config), profiler,
            new ModelOptions { WeightFormat = settings.Format, PrefillChunk = Math.Max(settings.PromptTokens, WarmUpTokens) }, ownsWeights: true);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;

        int[] prompt = Tokens(settings.PromptTokens, config.VocabSize);
        WarmUp(model, prompt);

        using var sequence = model.CreateSequence(positions);
        profiler.Profile.Reset();
        long start = Stopwatch.GetTimestamp();
        int next = sequence.AppendAndArgmax(prompt);
        double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var prefillMs = Breakdown(profiler.Profile, 1);

        profiler.Profile.Reset();
        var one = new int[1];
        start = Stopwatch.GetTimestamp();
        for (int i = 0; i < settings.GenTokens; i++)
        {
            one[0] = next;
            next = sequence.AppendAndArgmax(one);
        }
        double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var decodeMs = Breakdown(profiler.Profile, settings.GenTokens);

        long bytesPerToken = model.Weights.DecodeBytesPerToken;
        double decodeRate = settings.GenTokens / decodeSeconds;
        return new BenchResult
        {
            Preset = settings.Preset,
            Device = selection.Device,
            Backend = selection.Backend.Description,
            DeviceReason = selection.Reason,
            // The ISA and thread count are the CPU backend's; a GPU row has neither.
            Isa = cpu is null ? "-" : CpuIsaSupport.Name(cpu.Isa),
            Quant = KernelOptions.QuantName(settings.Format),
            Threads = cpu?.Options.EffectiveThreads ?? 0,
            PromptTokens = settings.PromptTokens,
            GenTokens = settings.GenTokens,
            LoadSeconds = loadSeconds,
            PrefillTokensPerSecond = settings.PromptTokens / prefillSeconds,
            DecodeTokensPerSecond = decodeRate,
            WeightBytesPerToken = bytesPerToken,
            DecodeWeightGigabytesPerSecond = bytesPerToken * decodeRate / 1e9,
            PrefillMilliseconds = prefillMs,
            DecodeMillisecondsPerToken = decodeMs,
        };
    }

    /// <summary>A deterministic prompt spread over the vocabulary (synthetic weights make the ids' meaning irrelevant).</summary>
    private static int[] Tokens(int count, int vocab)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)((i * 7919L + 1) % vocab);
        return tokens;
    }

    private static void WarmUp(LlamaModel model, int[] prompt)
    {
        using var warm = model.CreateSequence(WarmUpTokens + 4);
        int next = warm.AppendAndArgmax(prompt.AsSpan(0, Math.Min(WarmUpTokens, prompt.Length)));
        for (int i = 0; i < 3; i++) next = warm.AppendAndArgmax([next]);
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
