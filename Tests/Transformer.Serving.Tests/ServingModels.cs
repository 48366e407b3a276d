using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Sampling;

namespace Transformer.Serving.Tests;

/// <summary>Models and request runners the serving tests share.</summary>
internal static class ServingModels
{
    public static string Fixture(string variant) => Path.Combine(AppContext.BaseDirectory, "Fixtures", variant);

    /// <summary>stories260K from ../shared (skips the test without it), on the CPU backend with the given threads and weights.</summary>
    public static LlamaModel Stories260K(int threads = 2, WeightFormat format = WeightFormat.F32, KvDType kv = KvDType.F32) =>
        Load(SharedModels.Stories260KFile("stories260K.bin"), threads, format, kv);

    public static LlamaModel Load(string path, int threads = 2, WeightFormat format = WeightFormat.F32, KvDType kv = KvDType.F32)
    {
        var files = ModelFiles.Open(path);
        return new LlamaModel(files.Config, files.Weights, new CpuBackend(new CpuBackendOptions { Threads = threads }),
            new ModelOptions { WeightFormat = format, KvType = kv }, ownsWeights: true, ownsBackend: true);
    }

    /// <summary>Prompts of varied lengths (BOS first), some sharing long prefixes so the prefix cache is hit.</summary>
    public static int[][] Prompts(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        int[] shared = Enumerable.Range(0, 40).Select(_ => random.Next(3, vocab)).ToArray();
        var prompts = new int[count][];
        for (int i = 0; i < count; i++)
        {
            int length = i == 0 ? shared.Length + 7 : random.Next(1, 48); // the first is long enough to seed the shared prefix
            prompts[i] = new int[length];
            prompts[i][0] = 1;
            bool sharesPrefix = i % 3 == 0;
            for (int t = 1; t < length; t++) prompts[i][t] = sharesPrefix && t < shared.Length ? shared[t] : random.Next(3, vocab);
        }
        return prompts;
    }

    /// <summary>Greedy, seeded and filtered sampling settings, cycled over requests.</summary>
    public static SamplingOptions Sampling(int i) => (i % 4) switch
    {
        0 => SamplingOptions.Greedy,
        1 => new SamplingOptions { Temperature = 0.9f, TopP = 0.9f, Seed = 1000 + i },
        2 => new SamplingOptions { Temperature = 1.1f, TopK = 20, MinP = 0.02f, RepetitionPenalty = 1.1f, Seed = 2000 + i },
        _ => new SamplingOptions { Temperature = 0.7f, FrequencyPenalty = 0.5f, PresencePenalty = 0.3f, Seed = 3000 + i },
    };

    /// <summary>What a request produced: its tokens, the bits of their log-probabilities, and how it ended.</summary>
    public sealed record Outcome(int[] Tokens, uint[] LogprobBits, FinishReason Reason, int CachedPromptTokens)
    {
        public override string ToString() => $"{Reason}, {Tokens.Length} tokens [{string.Join(' ', Tokens.Take(12))}...]";
    }

    public static async Task<Outcome> CollectAsync(GenerationStream stream)
    {
        var tokens = new List<int>();
        var bits = new List<uint>();
        await foreach (var t in stream.Tokens.ReadAllAsync())
        {
            tokens.Add(t.Token);
            if (t.Logprob is { } lp) bits.Add(BitConverter.SingleToUInt32Bits(lp.Logprob));
            foreach (var alternative in t.TopLogprobs ?? [])
            {
                bits.Add((uint)alternative.Token);
                bits.Add(BitConverter.SingleToUInt32Bits(alternative.Logprob));
            }
        }
        return new Outcome([.. tokens], [.. bits], await stream.Completion, stream.CachedPromptTokens);
    }

    /// <summary>Runs every request alone, one after another, in a scheduler that holds one sequence and no prefix cache.</summary>
    public static async Task<Outcome[]> RunSolo(LlamaModel model, IReadOnlyList<GenerationRequest> requests)
    {
        using var scheduler = new Scheduler(model, new ServingOptions { MaxSequences = 1, StepTokenBudget = 256, PrefixCaching = false });
        var outcomes = new Outcome[requests.Count];
        for (int i = 0; i < requests.Count; i++) outcomes[i] = await CollectAsync(scheduler.Submit(requests[i]));
        return outcomes;
    }

    /// <summary>Submits every request at once and collects them all.</summary>
    public static async Task<Outcome[]> RunTogether(Scheduler scheduler, IReadOnlyList<GenerationRequest> requests) =>
        await Task.WhenAll(requests.Select(r => CollectAsync(scheduler.Submit(r))));
}
