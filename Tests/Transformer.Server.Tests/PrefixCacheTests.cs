namespace Transformer.Server.Tests;

/// <summary>A repeated prompt is served from the prefix cache and answered exactly as the first time.</summary>
public sealed class PrefixCacheTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    [Fact]
    public async Task The_second_identical_request_reports_cached_tokens_and_the_same_output()
    {
        var server = await fixture.GetAsync();
        // Long enough for several full 16-token blocks, and unlike any other test's prompt.
        string body = """
            {"prompt":"Once upon a time, in a small house by the big green hill, there lived a kind old man and his happy little dog named Spot. Every day",
             "max_tokens":24,"temperature":0,"logprobs":3}
            """;

        var first = await server.PostJsonAsync("v1/completions", body);
        var second = await server.PostJsonAsync("v1/completions", body);

        int prompt = first.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        int cachedFirst = first.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
        int cachedSecond = second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
        Assert.Equal(0, cachedFirst);
        Assert.True(cachedSecond >= 16 * ((prompt - 1) / 16), $"{cachedSecond} of {prompt} prompt tokens cached");
        Assert.Equal(Requests.FromWhole(first), Requests.FromWhole(second));
    }
}
