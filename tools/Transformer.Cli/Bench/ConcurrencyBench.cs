using System.Diagnostics;
using System.Globalization;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Runtime;
using Transformer.Runtime.Synthetic;
using Transformer.Server;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Cli.Bench;

/// <summary>
/// Throughput and latency against the number of concurrent streams: for each level, that many requests
/// with distinct prompts are submitted at once to a scheduler that runs them all together, and every
/// token's arrival is timed. Aggregate decode counts the tokens of all streams while every stream is
/// decoding (after the last first token, before the first stream ends), so prefill does not dilute it.
/// </summary>
public static class ConcurrencyBench
{
    /// <summary>Times the token arrivals of one set of concurrent streams.</summary>
    public delegate Task<IReadOnlyList<StreamTimes>> StreamRunner(int[][] prompts, int genTokens, CancellationToken cancellation);

    /// <summary>When one stream was submitted and when each of its tokens arrived (Stopwatch timestamps).</summary>
    public sealed record StreamTimes(long Submitted, IReadOnlyList<long> Tokens);

    /// <summary>
    /// Runs every level in process, through the scheduler's API, or with <paramref name="throughServer"/>
    /// through the OpenAI-compatible HTTP server on loopback (one server for all levels, sized for the largest).
    /// </summary>
    public static IEnumerable<ConcurrencyResult> Run(BenchSettings settings, IReadOnlyList<int> levels, int blockSize, KvDType kvType,
        bool throughServer, CancellationToken cancellation)
    {
        var config = SyntheticPresets.Get(settings.Preset);
        var selection = BackendSelection.Create(settings.Device, CpuIsaSupport.Name(settings.Isa), settings.Threads);
        var model = DecoderModels.Create(config, new SyntheticWeightSource(config, matrixType: settings.Weights.Storage), selection.Backend,
            new ModelOptions { WeightFormat = settings.Weights.Format, KvBlockSize = blockSize }, ownsWeights: true);
        string backend = $"{selection.Backend.Description}, KV {kvType} in blocks of {blockSize}";
        if (throughServer) return ThroughServer(settings, levels, kvType, model, selection, backend, cancellation);
        return InProcess(settings, levels, kvType, model, selection, backend, cancellation);
    }

    private static IEnumerable<ConcurrencyResult> InProcess(BenchSettings settings, IReadOnlyList<int> levels, KvDType kvType, DecoderModel model,
        BackendSelection selection, string backend, CancellationToken cancellation)
    {
        using var _ = selection;
        using var __ = model;
        foreach (int level in levels)
        {
            using var scheduler = new Scheduler(model, Options(level, settings, kvType));
            yield return Measure(settings, level, model.Config.VocabSize, backend, "in-process",
                (prompts, gen, ct) => InProcess(scheduler, prompts, gen, ct), cancellation);
        }
    }

    private static IEnumerable<ConcurrencyResult> ThroughServer(BenchSettings settings, IReadOnlyList<int> levels, KvDType kvType, DecoderModel model,
        BackendSelection selection, string backend, CancellationToken cancellation)
    {
        using var _ = selection;
        const string modelId = "synthetic";
        var language = LanguageModel.FromParts(model, new SyntheticTokenizer(model.Config.VocabSize), $"synthetic:{settings.Preset}");
        var server = InferenceServer.Create(new ServerOptions
        {
            ModelPath = modelId,
            ModelId = modelId,
            Port = 0,
            Serving = Options(levels.Max(), settings, kvType),
            LoadModel = _ => language,
        });
        try
        {
            server.StartAsync(cancellation).GetAwaiter().GetResult();
            server.ModelLoaded.WaitAsync(cancellation).GetAwaiter().GetResult();
            using var http = new HttpStreams(server.BaseAddress, modelId);
            foreach (int level in levels)
                yield return Measure(settings, level, model.Config.VocabSize, backend, "http", http.RunAsync, cancellation);
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult(); // releases the model with the server
        }
    }

    /// <summary>The scheduler settings for a level: room for every stream, prompts prefilled whole, no prefix sharing to help.</summary>
    public static ServingOptions Options(int level, BenchSettings settings, KvDType kvType) => new()
    {
        MaxSequences = level,
        QueueLimit = level,
        StepTokenBudget = Math.Max(level, settings.PromptTokens),
        PrefixCaching = false,
        KvType = kvType,
    };

    /// <summary>Measures one level with a warm-up run of the same shape first (JIT tiering, buffers).</summary>
    public static ConcurrencyResult Measure(BenchSettings settings, int level, int vocab, string backend, string path,
        StreamRunner run, CancellationToken cancellation)
    {
        run(Prompts(level, settings.PromptTokens, vocab, salt: 1), Math.Min(8, settings.GenTokens), cancellation).GetAwaiter().GetResult();
        ConcurrencyResult? best = null;
        for (int rep = 0; rep < settings.Repetitions; rep++)
        {
            var times = run(Prompts(level, settings.PromptTokens, vocab, salt: 2 + rep), settings.GenTokens, cancellation).GetAwaiter().GetResult();
            var result = Summarize(settings, level, backend, path, times);
            if (best is null || result.AggregateDecodeTokensPerSecond > best.AggregateDecodeTokensPerSecond) best = result;
        }
        return best!;
    }

    private static async Task<IReadOnlyList<StreamTimes>> InProcess(Scheduler scheduler, int[][] prompts, int genTokens, CancellationToken cancellation)
    {
        var streams = prompts.Select(p =>
        {
            long submitted = Stopwatch.GetTimestamp();
            return (submitted, stream: scheduler.Submit(new GenerationRequest { Prompt = p, MaxTokens = genTokens }, cancellation));
        }).ToList();
        return await Task.WhenAll(streams.Select(async s =>
        {
            var arrivals = new List<long>(genTokens);
            await foreach (var _ in s.stream.Tokens.ReadAllAsync(cancellation)) arrivals.Add(Stopwatch.GetTimestamp());
            await s.stream.Completion;
            return new StreamTimes(s.submitted, arrivals);
        }));
    }

    /// <summary>Distinct prompts (no shared prefix) of <paramref name="length"/> tokens each.</summary>
    public static int[][] Prompts(int count, int length, int vocab, int salt) =>
        Enumerable.Range(0, count).Select(i => Enumerable.Range(0, length).Select(t => (int)((t * 7919L + i * 104729L + salt * 15485863L + 1) % vocab)).ToArray()).ToArray();

    private static ConcurrencyResult Summarize(BenchSettings settings, int level, string backend, string path, IReadOnlyList<StreamTimes> streams)
    {
        long windowStart = streams.Max(s => s.Tokens[0]);
        long windowEnd = streams.Min(s => s.Tokens[^1]);
        double decodeRate;
        if (windowEnd > windowStart)
        {
            int inWindow = streams.Sum(s => s.Tokens.Count(t => t > windowStart && t <= windowEnd));
            decodeRate = inWindow / Stopwatch.GetElapsedTime(windowStart, windowEnd).TotalSeconds;
        }
        else
        {
            // Streams too short to overlap in decode: count everything after each one's first token.
            long start = streams.Min(s => s.Tokens[0]), end = streams.Max(s => s.Tokens[^1]);
            decodeRate = streams.Sum(s => s.Tokens.Count - 1) / Math.Max(1e-9, Stopwatch.GetElapsedTime(start, end).TotalSeconds);
        }
        var ttft = streams.Select(s => Stopwatch.GetElapsedTime(s.Submitted, s.Tokens[0]).TotalMilliseconds).Order().ToArray();
        var itl = streams.SelectMany(s => s.Tokens.Zip(s.Tokens.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds)).Order().ToArray();
        return new ConcurrencyResult
        {
            Preset = settings.Preset,
            Backend = backend,
            Quant = settings.Weights.Name,
            Path = path,
            Concurrency = level,
            PromptTokens = settings.PromptTokens,
            GenTokens = settings.GenTokens,
            AggregateDecodeTokensPerSecond = decodeRate,
            TimeToFirstTokenP50 = Percentile(ttft, 0.50),
            TimeToFirstTokenP99 = Percentile(ttft, 0.99),
            InterTokenP50 = Percentile(itl, 0.50),
            InterTokenP99 = Percentile(itl, 0.99),
        };
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> of sorted values (0 when there are none).</summary>
    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The table line of one level.</summary>
    public static string Line(ConcurrencyResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Preset,-15} {r.Quant,-5} {r.Path,-10} c={r.Concurrency,-3} aggregate decode {r.AggregateDecodeTokensPerSecond,8:F1} tok/s  " +
        $"ttft p50 {r.TimeToFirstTokenP50,8:F1} ms p99 {r.TimeToFirstTokenP99,8:F1} ms  itl p50 {r.InterTokenP50,6:F2} ms p99 {r.InterTokenP99,6:F2} ms");
}
