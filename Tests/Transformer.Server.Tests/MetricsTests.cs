namespace Transformer.Server.Tests;

/// <summary>/metrics is Prometheus text with the serving metrics the issue lists.</summary>
public sealed class MetricsTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_count_what_happened()
    {
        var server = await fixture.GetAsync();
        await server.PostJsonAsync("v1/completions", """{"prompt":"Tim had a toy","max_tokens":6}""");
        using var notFound = await server.PostAsync("v1/completions", """{"model":"nope","prompt":"x"}""");

        using var response = await server.Http.GetAsync("metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        foreach (var (name, type) in new[]
        {
            ("transformer_queue_length", "gauge"), ("transformer_running_sequences", "gauge"), ("transformer_kv_blocks_used", "gauge"),
            ("transformer_kv_blocks_free", "gauge"), ("transformer_prefix_cache_hit_ratio", "gauge"), ("transformer_generated_tokens_total", "counter"),
            ("transformer_time_to_first_token_seconds", "histogram"), ("transformer_inter_token_latency_seconds", "histogram"),
            ("transformer_requests_total", "counter"), ("transformer_model_loaded", "gauge"),
        })
        {
            Assert.True(metrics.Types.TryGetValue(name, out var declared), $"{name} is missing");
            Assert.Equal(type, declared);
        }
        Assert.Equal(1, metrics.Value("transformer_model_loaded"));
        Assert.True(metrics.Value("transformer_generated_tokens_total") >= 6);
        Assert.True(metrics.Value("transformer_time_to_first_token_seconds_count") >= 1);
        Assert.True(metrics.Value("transformer_inter_token_latency_seconds_count") >= 5);
        Assert.True(metrics.Sum("transformer_requests_total", ("endpoint", "/v1/completions"), ("status", "200")) >= 1);
        Assert.True(metrics.Sum("transformer_requests_total", ("endpoint", "/v1/completions"), ("status", "404")) >= 1);
        Assert.True(metrics.Value("transformer_kv_blocks_total") > 0);
    }

    [Fact]
    public void The_parser_refuses_text_that_is_not_the_format()
    {
        Assert.Throws<FormatException>(() => PrometheusText.Parse("a_metric 1\n"));                                 // no TYPE
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE a gauge\na{x=\"1} 2\n"));                  // broken label
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE a gauge\na one\n"));                        // not a number
        Assert.Throws<FormatException>(() => PrometheusText.Parse(
            "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n"));             // not cumulative
        var ok = PrometheusText.Parse("# HELP a A gauge\n# TYPE a gauge\na{x=\"q\\\"uote\"} -Inf\n");
        Assert.Equal("q\"uote", ok.Samples[0].Labels["x"]);
    }
}
