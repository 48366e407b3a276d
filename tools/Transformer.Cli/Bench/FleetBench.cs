using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Transformer.Cli.Devices;
using Transformer.Gateway;
using Transformer.Kernels.Cpu.Isa;
using Transformer.ResponseCache;
using Transformer.Runtime;
using Transformer.Runtime.Synthetic;
using Transformer.Server;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Cli.Bench;

/// <summary>
/// A fleet on loopback: replicas (in-process servers on real sockets, each with its own copy of the model) behind
/// the gateway, and a workload of users who each have their own system prompt and send several turns. The
/// workload runs twice per routing policy, with the response cache cold and then warm (the same requests again),
/// first with prefix affinity and then with fresh replicas routed by load alone. It reports requests/s, latency,
/// response-cache hits and the share of prompt tokens the replicas' prefix caches served.
/// </summary>
public static class FleetBench
{
    /// <summary>The shape of the traffic.</summary>
    /// <param name="Replicas">Servers behind the gateway.</param>
    /// <param name="Users">Users, each with a system prompt of their own.</param>
    /// <param name="Turns">Requests per user, each with the user's system prompt and a new question.</param>
    /// <param name="Clients">Requests in flight at once.</param>
    /// <param name="SystemTokens">Tokens of each system prompt.</param>
    /// <param name="QuestionTokens">Tokens of each question.</param>
    public sealed record Workload(int Replicas, int Users, int Turns, int Clients, int SystemTokens, int QuestionTokens);

    /// <summary>The synthetic vocabulary's words carry the prompt; the template only joins the messages.</summary>
    private const string ConcatenatingTemplate = "{% for message in messages %}{{ message['content'] }}{% endfor %}";

    private const string ModelId = "synthetic";

    /// <summary>Runs the workload for each routing policy, cache cold then warm.</summary>
    public static async Task<IReadOnlyList<FleetResult>> RunAsync(BenchSettings settings, Workload workload, ResponseCacheOptions cache,
        TextWriter progress, CancellationToken cancellation)
    {
        var config = SyntheticPresets.Get(settings.Preset);
        // Prompts new to every run and routing policy: a shared Redis cache keeps responses between them, so the
        // cold pass would otherwise be answered from an earlier one.
        int run = Random.Shared.Next(1, 1 << 20);
        string template = Path.Combine(Path.GetTempPath(), $"transformer-fleet-{Environment.ProcessId}.jinja");
        await File.WriteAllTextAsync(template, ConcatenatingTemplate, cancellation);
        var results = new List<FleetResult>();
        try
        {
            foreach (var routing in new[] { GatewayRouting.PrefixAffinity, GatewayRouting.LeastRequests })
            {
                var requests = Requests(workload, config.VocabSize, settings.GenTokens, salt: run * 4 + (int)routing * 2);
                var warmUp = Requests(workload with { Users = workload.Replicas * 2, Turns = 1 }, config.VocabSize, settings.GenTokens, salt: run * 4 + (int)routing * 2 + 1);
                await using var fleet = await FleetOnLoopback.StartAsync(settings, workload, cache, routing, template, cancellation);
                using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = fleet.Gateway, Timeout = Timeout.InfiniteTimeSpan };
                await SendAllAsync(client, warmUp, workload.Clients, cancellation);
                var baseline = await fleet.PrefixCountersAsync(client, cancellation);
                foreach (string pass in new[] { "cold", "warm" })
                {
                    var timed = Stopwatch.StartNew();
                    var outcomes = await SendAllAsync(client, requests, workload.Clients, cancellation);
                    timed.Stop();
                    var counters = await fleet.PrefixCountersAsync(client, cancellation);
                    var result = Summarize(settings, workload, routing, pass, outcomes, timed.Elapsed, counters.Minus(baseline));
                    baseline = counters;
                    results.Add(result);
                    progress.WriteLine(Line(result));
                }
            }
        }
        finally
        {
            File.Delete(template);
        }
        return results;
    }

    /// <summary>Turn by turn: every user's first question, then every user's second, as conversations interleave.</summary>
    private static List<string> Requests(Workload workload, int vocab, int genTokens, int salt)
    {
        var bodies = new List<string>(workload.Users * workload.Turns);
        for (int turn = 0; turn < workload.Turns; turn++)
            for (int user = 0; user < workload.Users; user++)
            {
                string system = Words(workload.SystemTokens, vocab, seed: salt * 1_000_003L + user);
                string question = Words(workload.QuestionTokens, vocab, seed: salt * 7_000_003L + user * 1009L + turn + 500_000);
                bodies.Add(JsonSerializer.Serialize(new ChatBody(ModelId, [new("system", system), new("user", question)], MaxTokens: genTokens, Temperature: 0), BenchJsonContext.Default.ChatBody));
            }
        return bodies;
    }

    /// <summary>Deterministic synthetic words (" t17 t4242 ...") the synthetic tokenizer reads back as those ids.</summary>
    private static string Words(int count, int vocab, long seed)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
            text.Append(CultureInfo.InvariantCulture, $" t{(int)(((seed + 1) * 2654435761L + i * 40503L) % vocab + vocab) % vocab}");
        return text.ToString();
    }

    private static async Task<Outcome[]> SendAllAsync(HttpClient client, List<string> bodies, int clients, CancellationToken cancellation)
    {
        var outcomes = new Outcome[bodies.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, bodies.Count), new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = cancellation },
            async (i, ct) => outcomes[i] = await SendAsync(client, bodies[i], ct));
        return outcomes;
    }

    private static async Task<Outcome> SendAsync(HttpClient client, string body, CancellationToken cancellation)
    {
        long start = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), cancellation);
        string text = await response.Content.ReadAsStringAsync(cancellation);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the fleet answered {(int)response.StatusCode}: {(text.Length > 300 ? text[..300] : text)}");
        bool hit = response.Headers.TryGetValues("X-Transformer-Cache", out var values) && values.Contains("hit");
        using var json = JsonDocument.Parse(text);
        var usage = json.RootElement.GetProperty("usage");
        int cached = usage.TryGetProperty("prompt_tokens_details", out var details) && details.TryGetProperty("cached_tokens", out var c) ? c.GetInt32() : 0;
        return new Outcome(ms, hit, usage.GetProperty("prompt_tokens").GetInt32(), cached);
    }

    private readonly record struct Outcome(double Milliseconds, bool ResponseCacheHit, int PromptTokens, int CachedTokens);

    private static FleetResult Summarize(BenchSettings settings, Workload workload, GatewayRouting routing, string pass, Outcome[] outcomes,
        TimeSpan elapsed, PrefixCounters prefix)
    {
        var latencies = outcomes.Select(o => o.Milliseconds).Order().ToArray();
        return new FleetResult
        {
            Preset = settings.Preset,
            Quant = settings.Weights.Name,
            Replicas = workload.Replicas,
            Routing = routing == GatewayRouting.PrefixAffinity ? "affinity" : "least-requests",
            Cache = pass,
            Requests = outcomes.Length,
            Clients = workload.Clients,
            RequestsPerSecond = outcomes.Length / elapsed.TotalSeconds,
            LatencyP50 = ConcurrencyBench.Percentile(latencies, 0.50),
            LatencyP99 = ConcurrencyBench.Percentile(latencies, 0.99),
            ResponseCacheHits = outcomes.Count(o => o.ResponseCacheHit),
            // The replicas' own counters: a response-cache hit never reaches the engine, so it adds nothing here.
            PrefixCacheHitRatio = prefix.LookupTokens == 0 ? 0 : prefix.HitTokens / prefix.LookupTokens,
            PromptTokens = outcomes.Sum(o => o.PromptTokens),
            CachedPromptTokens = outcomes.Sum(o => o.CachedTokens),
        };
    }

    /// <summary>The table line of one pass.</summary>
    public static string Line(FleetResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Preset,-13} {r.Quant,-5} {r.Replicas} replicas {r.Routing,-14} cache {r.Cache,-4}  {r.Requests} requests, {r.Clients} clients: " +
        $"{r.RequestsPerSecond,7:F2} req/s  latency p50 {r.LatencyP50,7:F1} ms p99 {r.LatencyP99,7:F1} ms  response-cache hits {r.ResponseCacheHits,4}  " +
        $"prefix-cache hit ratio {r.PrefixCacheHitRatio,5:P1}");

    /// <summary>Replicas and their gateway, stopped together.</summary>
    private sealed class FleetOnLoopback : IAsyncDisposable
    {
        private readonly List<InferenceServer> _servers = [];
        private readonly List<BackendSelection> _backends = [];
        private InferenceGateway? _gateway;

        public Uri Gateway => _gateway!.BaseAddress;

        public static async Task<FleetOnLoopback> StartAsync(BenchSettings settings, Workload workload, ResponseCacheOptions cache, GatewayRouting routing,
            string template, CancellationToken cancellation)
        {
            var fleet = new FleetOnLoopback();
            try
            {
                var config = SyntheticPresets.Get(settings.Preset);
                for (int i = 0; i < workload.Replicas; i++)
                {
                    var selection = BackendSelection.Create(settings.Device, CpuIsaSupport.Name(settings.Isa), settings.Threads);
                    fleet._backends.Add(selection);
                    var model = DecoderModels.Create(config, new SyntheticWeightSource(config, matrixType: settings.Weights.Storage), selection.Backend,
                        new ModelOptions { WeightFormat = settings.Weights.Format }, ownsWeights: true);
                    var language = LanguageModel.FromParts(model, new SyntheticTokenizer(config.VocabSize), $"synthetic:{settings.Preset}",
                        contentIdentity: $"synthetic preset {settings.Preset}, default seed, {settings.Weights.Storage} matrices"); // the same on every replica
                    var server = InferenceServer.Create(new ServerOptions
                    {
                        ModelPath = ModelId,
                        ModelId = ModelId,
                        Port = 0,
                        ChatTemplatePath = template,
                        ResponseCache = cache,
                        Serving = new ServingOptions { MaxSequences = workload.Clients, QueueLimit = workload.Users * workload.Turns, StepTokenBudget = 256 },
                        LoadModel = _ => language,
                    });
                    fleet._servers.Add(server);
                    await server.StartAsync(cancellation);
                    await server.ModelLoaded.WaitAsync(cancellation);
                }
                fleet._gateway = InferenceGateway.Create(new GatewayOptions { Replicas = [.. fleet._servers.Select(s => s.BaseAddress)], Port = 0, Routing = routing });
                await fleet._gateway.StartAsync(cancellation);
                return fleet;
            }
            catch
            {
                await fleet.DisposeAsync();
                throw;
            }
        }

        /// <summary>Prompt tokens looked up in the replicas' prefix caches and those found, summed over the replicas' /metrics.</summary>
        public async Task<PrefixCounters> PrefixCountersAsync(HttpClient client, CancellationToken cancellation)
        {
            double hits = 0, lookups = 0;
            foreach (var server in _servers)
            {
                string text = await client.GetStringAsync(new Uri(server.BaseAddress, "metrics"), cancellation);
                hits += Counter(text, "transformer_prefix_cache_hit_tokens_total");
                lookups += Counter(text, "transformer_prefix_cache_lookup_tokens_total");
            }
            return new PrefixCounters(hits, lookups);
        }

        private static double Counter(string prometheusText, string name)
        {
            foreach (string line in prometheusText.Split('\n'))
                if (line.StartsWith(name + " ", StringComparison.Ordinal))
                    return double.Parse(line.AsSpan(name.Length + 1), CultureInfo.InvariantCulture);
            throw new InvalidOperationException($"a replica's /metrics has no {name}");
        }

        public async ValueTask DisposeAsync()
        {
            if (_gateway is not null) await _gateway.DisposeAsync();
            foreach (var server in _servers) await server.DisposeAsync(); // each releases its model
            foreach (var backend in _backends) backend.Dispose();
        }
    }

    /// <summary>Prefix-cache counters summed over a fleet.</summary>
    private readonly record struct PrefixCounters(double HitTokens, double LookupTokens)
    {
        public PrefixCounters Minus(PrefixCounters before) => new(HitTokens - before.HitTokens, LookupTokens - before.LookupTokens);
    }
}

/// <summary>The body of one chat completion request.</summary>
public sealed record ChatBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("model")] string Model,
    [property: System.Text.Json.Serialization.JsonPropertyName("messages")] IReadOnlyList<ChatBodyMessage> Messages,
    [property: System.Text.Json.Serialization.JsonPropertyName("max_tokens")] int MaxTokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("temperature")] float Temperature);

/// <summary>One message of <see cref="ChatBody"/>.</summary>
public sealed record ChatBodyMessage(
    [property: System.Text.Json.Serialization.JsonPropertyName("role")] string Role,
    [property: System.Text.Json.Serialization.JsonPropertyName("content")] string Content);
