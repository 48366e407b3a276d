using System.Text.Json;
using Transformer.ResponseCache;

namespace Transformer.Server.Tests;

/// <summary>Pre-caching a JSONL file of requests: what is computed, what is refused (by line), and that the entries answer later requests.</summary>
public sealed class PrecacheTests
{
    private const string Chat = """{"messages":[{"role":"user","content":"A story about a hat."}],"max_tokens":16,"temperature":0}""";
    private const string Completion = """{"prompt":"Anna found a shell","max_tokens":16,"seed":4,"temperature":0.9}""";
    private const string BatchBody = """{"prompt":"The wind blew","max_tokens":12,"temperature":0}""";

    [Fact]
    public async Task A_precached_file_answers_its_requests_from_the_cache_and_names_the_lines_it_refused()
    {
        await using var server = await ResponseCacheTests.StartAsync(new ResponseCacheOptions());
        string file = Path.Combine(Path.GetTempPath(), $"precache-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(file,
        [
            Chat,
            Completion.Replace("}", ""","stream":true}"""),
            $$"""{"custom_id":"r1","method":"POST","url":"/v1/completions","body":{{BatchBody}}}""",
            """{"prompt":"Random","max_tokens":4}""",
            "",
            "{not json",
            """{"prompt":"Too long","max_tokens":100000,"temperature":0}""",
        ]);
        try
        {
            var updates = new List<Caching.PrecacheProgress>();
            var report = await server.Server.PrecacheAsync(file, new Progress(updates));

            Assert.Equal(6, report.Total);
            Assert.Equal(3, report.Computed);
            Assert.Equal(0, report.AlreadyCached);
            Assert.Collection(report.Failures,
                f => Assert.Matches(@":4: not deterministic", f),
                f => Assert.Matches(@":6: not JSON", f),
                f => Assert.Matches(@":7: 400: .*context length", f));
            Assert.Equal(6, updates[^1].Done);
            Assert.Equal(3, updates[^1].Failed);

            double generated = await ResponseCacheTests.GeneratedTokensAsync(server);
            Assert.Equal("hit", (await ResponseCacheTests.PostAsync(server, "v1/chat/completions", Chat)).Cache);
            Assert.Equal("hit", (await ResponseCacheTests.PostAsync(server, "v1/completions", Completion)).Cache);
            Assert.Equal("hit", (await ResponseCacheTests.PostAsync(server, "v1/completions", BatchBody)).Cache);
            Assert.Equal(generated, await ResponseCacheTests.GeneratedTokensAsync(server));

            var again = await server.Server.PrecacheAsync(file);
            Assert.Equal((0, 3), (again.Computed, again.AlreadyCached));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Pre_caching_needs_the_response_cache()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.Server.PrecacheAsync("requests.jsonl"));
        Assert.Contains("--response-cache", error.Message);
    }

    private sealed class Progress(List<Caching.PrecacheProgress> updates) : IProgress<Caching.PrecacheProgress>
    {
        public void Report(Caching.PrecacheProgress value)
        {
            lock (updates) updates.Add(value);
        }
    }
}
