using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Transformer.ResponseCache;

namespace Transformer.Server.Tests;

/// <summary>The exact response cache in memory: what it caches, what it answers, and that a hit does not run the engine.</summary>
public sealed class ResponseCacheTests
{
    internal static async Task<TestServer> StartAsync(ResponseCacheOptions cache) =>
        await TestServer.StartAsync(TestServer.Options() with { ResponseCache = cache });

    /// <summary>POSTs a body (with optional Cache-Control) and returns the status, the X-Transformer-Cache header and the raw body.</summary>
    internal static async Task<(int Status, string? Cache, string Body)> PostAsync(TestServer server, string path, string json, string? cacheControl = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (cacheControl is not null) request.Headers.CacheControl = CacheControlHeaderValue.Parse(cacheControl);
        using var response = await server.Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        string? header = response.Headers.TryGetValues("X-Transformer-Cache", out var values) ? string.Join(",", values) : null;
        return ((int)response.StatusCode, header, body);
    }

    internal static async Task<double> GeneratedTokensAsync(TestServer server) => (await server.MetricsAsync()).Value("transformer_generated_tokens_total");

    internal static async Task<double> CacheResultsAsync(TestServer server, string result) =>
        (await server.MetricsAsync()).Sum("transformer_response_cache_requests_total", ("result", result));

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement.Clone();

    [Fact]
    public async Task A_repeated_greedy_request_is_answered_from_the_cache_exactly_whole_or_streamed_without_running_the_engine()
    {
        await using var server = await StartAsync(new ResponseCacheOptions());
        const string body = """{"prompt":"The little fox ran to the river and","max_tokens":24,"temperature":0,"logprobs":2}""";

        var first = await PostAsync(server, "v1/completions", body);
        Assert.Equal((200, "miss"), (first.Status, first.Cache));
        double generated = await GeneratedTokensAsync(server);

        var second = await PostAsync(server, "v1/completions", body);
        var streamed = await PostAsync(server, "v1/completions", body[..^1] + ""","stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal((200, "hit"), (second.Status, second.Cache));
        Assert.Equal((200, "hit"), (streamed.Status, streamed.Cache));
        Assert.Equal(Requests.FromWhole(Json(first.Body)), Requests.FromWhole(Json(second.Body)));
        Assert.Equal(Requests.FromWhole(Json(first.Body)), Requests.FromStream(streamed.Body));
        var usage = Json(second.Body).GetProperty("usage");
        Assert.Equal(Json(first.Body).GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("prompt_tokens").GetInt32());
        // Usage says the whole prompt came from a cache: nothing was computed for this answer.
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(generated, await GeneratedTokensAsync(server));
        var metrics = await server.MetricsAsync();
        Assert.Equal(2, metrics.Sum("transformer_response_cache_requests_total", ("result", "hit_memory")));
        Assert.Equal(1, metrics.Sum("transformer_response_cache_requests_total", ("result", "miss")));
        Assert.Equal(1, metrics.Value("transformer_response_cache_stores_total"));
    }

    [Theory]
    [InlineData("synthetic tiny, default seed")]
    [InlineData(null)]
    public async Task A_model_built_from_parts_is_cached_under_its_content_identity_and_without_one_the_server_says_why_it_cannot_cache(string? identity)
    {
        var options = TestServer.Options() with
        {
            ResponseCache = new ResponseCacheOptions(),
            ChatTemplatePath = null,
            LoadModel = _ =>
            {
                var config = Transformer.Runtime.Synthetic.SyntheticPresets.Get("tiny");
                var model = new Transformer.Runtime.Llama.LlamaModel(config, new Transformer.Runtime.Synthetic.SyntheticWeightSource(config),
                    new Transformer.Kernels.Cpu.CpuBackend(new Transformer.Kernels.Cpu.CpuBackendOptions { Threads = 1 }), new Transformer.Runtime.ModelOptions(),
                    ownsWeights: true, ownsBackend: true);
                return Transformer.Text.LanguageModel.FromParts(model, new Transformer.Runtime.Synthetic.SyntheticTokenizer(config.VocabSize), "synthetic:tiny", identity);
            },
        };
        await using var server = await TestServer.StartAsync(options, waitForModel: false);
        if (identity is null)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => server.Server.ModelLoaded);
            using var health = await server.Http.GetAsync("health");
            Assert.Equal(503, (int)health.StatusCode);
            Assert.Contains("cannot identify model 'synthetic:tiny'", await health.Content.ReadAsStringAsync());
            return;
        }
        await server.Server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        const string body = """{"prompt":" t1 t2 t3","max_tokens":4,"temperature":0}""";
        var first = await PostAsync(server, "v1/completions", body);
        var second = await PostAsync(server, "v1/completions", body);
        Assert.Equal((200, "miss"), (first.Status, first.Cache));
        Assert.Equal((200, "hit"), (second.Status, second.Cache));
        Assert.Equal(Requests.FromWhole(Json(first.Body)), Requests.FromWhole(Json(second.Body)));
    }

    [Fact]
    public async Task A_streamed_chat_is_stored_and_answers_the_same_chat_asked_whole()
    {
        await using var server = await StartAsync(new ResponseCacheOptions());
        const string chat = """{"messages":[{"role":"system","content":"You tell short stories."},{"role":"user","content":"A story about a boat."}],"max_tokens":30,"seed":9,"temperature":0.9""";

        var streamed = await PostAsync(server, "v1/chat/completions", chat + ""","stream":true}""");
        var whole = await PostAsync(server, "v1/chat/completions", chat + "}");

        Assert.Equal("miss", streamed.Cache);
        Assert.Equal("hit", whole.Cache);
        var text = new StringBuilder();
        foreach (var e in streamed.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("data: {")))
            foreach (var choice in Json(e["data: ".Length..]).GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("delta").TryGetProperty("content", out var content)) text.Append(content.GetString());
        var message = Json(whole.Body).GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(text.ToString(), message.GetProperty("content").GetString());
        Assert.Equal("chat.completion", Json(whole.Body).GetProperty("object").GetString());
    }

    [Fact]
    public async Task Only_deterministic_requests_are_cached_and_every_output_changing_setting_is_part_of_the_key()
    {
        await using var server = await StartAsync(new ResponseCacheOptions());
        const string random = """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8}""";
        Assert.Equal("miss", (await PostAsync(server, "v1/completions", random)).Cache);
        Assert.Equal("miss", (await PostAsync(server, "v1/completions", random)).Cache);
        Assert.Equal(2, await CacheResultsAsync(server, "skipped"));

        const string seeded = """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2}""";
        var first = await PostAsync(server, "v1/completions", seeded);
        var again = await PostAsync(server, "v1/completions", seeded);
        Assert.Equal(("miss", "hit"), (first.Cache, again.Cache));
        Assert.Equal(2, Json(again.Body).GetProperty("choices").GetArrayLength());
        Assert.Equal(Json(first.Body).GetProperty("choices").GetRawText(), Json(again.Body).GetProperty("choices").GetRawText());

        // Each variant changes what is generated or reported, so each is its own entry.
        string[] variants =
        [
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":2,"n":2}""",
            """{"prompt":"The cat sat","max_tokens":9,"temperature":0.8,"seed":1,"n":2}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.7,"seed":1,"n":2}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":1}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"top_p":0.9}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"top_k":5}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"min_p":0.1}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"frequency_penalty":0.5}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"presence_penalty":0.5}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"repetition_penalty":1.2}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"stop":["x"]}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"logprobs":1}""",
            """{"prompt":"The cat sat","max_tokens":8,"temperature":0.8,"seed":1,"n":2,"ignore_eos":true}""",
            """{"prompt":"The cat sat down","max_tokens":8,"temperature":0.8,"seed":1,"n":2}""",
        ];
        foreach (string variant in variants) Assert.True((await PostAsync(server, "v1/completions", variant)).Cache == "miss", $"a hit for {variant}");
    }

    [Fact]
    public async Task Cache_control_no_cache_computes_afresh_and_no_store_keeps_the_answer_out()
    {
        await using var server = await StartAsync(new ResponseCacheOptions());
        const string body = """{"prompt":"Tom and his red kite","max_tokens":16,"temperature":0}""";
        var stored = await PostAsync(server, "v1/completions", body);
        double generated = await GeneratedTokensAsync(server);

        var fresh = await PostAsync(server, "v1/completions", body, "no-cache");

        Assert.Equal("miss", fresh.Cache);
        Assert.True(await GeneratedTokensAsync(server) > generated, "no-cache ran the engine");
        Assert.Equal(Requests.FromWhole(Json(stored.Body)), Requests.FromWhole(Json(fresh.Body)));

        const string secret = """{"prompt":"Sam hid the blue key","max_tokens":16,"temperature":0}""";
        Assert.Equal("miss", (await PostAsync(server, "v1/completions", secret, "no-store")).Cache);
        Assert.Equal("miss", (await PostAsync(server, "v1/completions", secret)).Cache);
        Assert.Equal("hit", (await PostAsync(server, "v1/completions", secret)).Cache);
    }

    [Fact]
    public async Task The_memory_tier_keeps_no_response_larger_than_its_limit()
    {
        await using var server = await StartAsync(new ResponseCacheOptions { MemoryLimitBytes = 2048 });
        const string small = """{"prompt":"Mia","max_tokens":1,"temperature":0}""";
        const string large = """{"prompt":"Mia saw a big","max_tokens":40,"temperature":0,"logprobs":5,"ignore_eos":true}""";

        Assert.Equal("miss", (await PostAsync(server, "v1/completions", small)).Cache);
        Assert.Equal("hit", (await PostAsync(server, "v1/completions", small)).Cache);
        var first = await PostAsync(server, "v1/completions", large);
        Assert.True(first.Body.Length > 2048, "the large response is larger than the limit");
        Assert.Equal("miss", (await PostAsync(server, "v1/completions", large)).Cache);
    }

    [Fact]
    public async Task Without_the_cache_responses_carry_no_cache_header()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options());
        var response = await PostAsync(server, "v1/completions", """{"prompt":"Ben","max_tokens":4,"temperature":0}""");
        Assert.Equal((200, null), (response.Status, response.Cache));
        Assert.DoesNotContain((await server.MetricsAsync()).Samples, s => s.Name.StartsWith("transformer_response_cache_redis", StringComparison.Ordinal));
    }
}
