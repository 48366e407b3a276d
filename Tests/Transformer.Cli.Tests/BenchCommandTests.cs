using System.Text.Json;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer bench</c> runs end to end on the tiny synthetic preset.</summary>
public sealed class BenchCommandTests
{
    private static readonly string[] s_requiredFields = ["preset", "device", "isa", "quant", "threads", "prefill_tok_s", "decode_tok_s"];

    [Fact]
    public async Task Json_output_is_one_array_with_an_object_per_isa_and_format()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--isa", "all", "--quant", "both", "--threads", "2",
            "--prompt-tokens", "16", "--gen-tokens", "8", "--reps", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2 * CpuIsaSupport.Supported.Count, rows.Length);
        foreach (var row in rows)
        {
            foreach (string field in s_requiredFields) Assert.True(row.TryGetProperty(field, out _), $"missing '{field}' in {row}");
            Assert.Equal("tiny", row.GetProperty("preset").GetString());
            Assert.Equal(2, row.GetProperty("threads").GetInt32());
            Assert.Equal(2, row.GetProperty("repetitions").GetInt32());
            Assert.True(row.GetProperty("prefill_tok_s").GetDouble() > 0);
            Assert.True(row.GetProperty("decode_tok_s").GetDouble() > 0);
            Assert.True(row.GetProperty("decode_weight_gb_s").GetDouble() > 0);
            Assert.True(row.GetProperty("decode_ms_per_token").TryGetProperty("matmul", out _));
            Assert.True(row.GetProperty("decode_ms_per_token").TryGetProperty("lm_head", out _));
        }
        var combinations = rows.Select(r => (r.GetProperty("isa").GetString(), r.GetProperty("quant").GetString())).ToHashSet();
        Assert.Equal(rows.Length, combinations.Count);
        Assert.Contains(("scalar", "int8"), combinations);
        Assert.Contains(("scalar", "f32"), combinations);
        // Progress lines go to stderr with --json, one per configuration.
        Assert.Equal(rows.Length, result.ErrorLines.Count(l => l.StartsWith("tiny", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_table_names_the_path_format_and_per_op_breakdown()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--isa", "scalar", "--quant", "int8", "--prompt-tokens", "4", "--gen-tokens", "2");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("tiny", lines[0]);
        Assert.Contains("scalar", lines[0]);
        Assert.Contains("int8", lines[0]);
        Assert.Contains("tok/s", lines[0]);
        Assert.Contains(lines, l => l.Contains("decode ms per token:") && l.Contains("matmul") && l.Contains("attention") && l.Contains("norms"));
    }

    [Fact]
    public async Task Quant_all_measures_f32_bf16_f16_and_int8_with_their_weight_traffic()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--isa", "scalar", "--quant", "all", "--threads", "1",
            "--prompt-tokens", "8", "--gen-tokens", "2", "--reps", "1", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var bytes = json.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("quant").GetString()!, r => r.GetProperty("weight_bytes_per_token").GetInt64());
        Assert.Equal(["f32", "bf16", "f16", "int8", "q4_0", "q4_k_m"], bytes.Keys);
        // 16-bit matrices are read as stored: half the float32 bytes (norms stay float32, so not exactly half).
        Assert.InRange(bytes["bf16"], bytes["f32"] / 2, bytes["f32"] * 0.55);
        Assert.Equal(bytes["bf16"], bytes["f16"]);
        Assert.True(bytes["int8"] < bytes["bf16"]);
        Assert.True(bytes["q4_0"] < bytes["int8"]);
        // The tiny preset's rows are not whole 256-value super-blocks: llama.cpp's fallbacks (Q5_0, Q8_0) hold as int8.
        Assert.True(bytes["q4_k_m"] <= bytes["int8"], string.Join(", ", bytes));
    }

    [Fact]
    public async Task A_model_file_is_benched_with_the_blocks_it_stores()
    {
        string fixtures = Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "gguf");
        var bytes = new Dictionary<string, long>();
        foreach (string file in new[] { "tiny-llama-q8_0.gguf", "tiny-llama-q4_0.gguf", "tiny256-llama-q4_k_m.gguf" })
        {
            var result = await CliRun.InvokeAsync("bench", "--model", Path.Combine(fixtures, file), "--isa", "scalar", "--quant", "f32",
                "--threads", "1", "--prompt-tokens", "8", "--gen-tokens", "4", "--reps", "1", "--json");
            Assert.True(result.ExitCode == 0, result.StandardError);
            using var json = JsonDocument.Parse(result.Output);
            var row = Assert.Single(json.RootElement.EnumerateArray().ToArray());
            Assert.Equal(file, row.GetProperty("preset").GetString());
            Assert.True(row.GetProperty("decode_tok_s").GetDouble() > 0);
            // Every stored block format runs the int8 kernels, so its prefill is held to the int8 peak.
            Assert.Equal("int8", row.GetProperty("compute_kernel").GetString());
            bytes[file] = row.GetProperty("weight_bytes_per_token").GetInt64();
        }
        // --quant f32 does not widen a file's own blocks: Q4_0 reads fewer bytes per token than Q8_0.
        Assert.True(bytes["tiny-llama-q4_0.gguf"] < bytes["tiny-llama-q8_0.gguf"] * 0.7, string.Join(", ", bytes));
    }

    [Theory]
    [InlineData("--preset", "tiny", "--model", "models/stories260K")]
    [InlineData("--threads", "1")]
    [InlineData("--model", "models/stories260K", "--concurrency", "1,2")]
    public async Task Bench_needs_exactly_one_of_preset_and_model(params string[] options)
    {
        var result = await CliRun.InvokeAsync(["bench", .. options]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--preset", result.StandardError);
    }

    [Theory]
    [InlineData("--preset", "gpt-5")]
    [InlineData("--quant", "int4")]
    [InlineData("--quant", "fp8")]
    [InlineData("--isa", "sse2")]
    [InlineData("--prompt-tokens", "0")]
    [InlineData("--reps", "0")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        string[] args = option == "--preset" ? ["bench", option, value] : ["bench", "--preset", "tiny", option, value];
        var result = await CliRun.InvokeAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
    }

    [Fact]
    public async Task Too_many_tokens_for_the_context_are_an_error_naming_it()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--isa", "scalar", "--prompt-tokens", "500", "--gen-tokens", "100");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("context of 512", result.StandardError);
    }

    [Fact]
    public async Task Concurrency_prints_one_object_per_level_with_throughput_and_latencies()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--quant", "int8", "--threads", "2", "--concurrency", "1,3",
            "--prompt-tokens", "8", "--gen-tokens", "12", "--reps", "1", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal([1, 3], rows.Select(r => r.GetProperty("concurrency").GetInt32()));
        foreach (var row in rows)
        {
            Assert.True(row.GetProperty("aggregate_decode_tok_s").GetDouble() > 0, row.ToString());
            Assert.True(row.GetProperty("ttft_p99_ms").GetDouble() >= row.GetProperty("ttft_p50_ms").GetDouble(), row.ToString());
            Assert.True(row.GetProperty("itl_p99_ms").GetDouble() >= row.GetProperty("itl_p50_ms").GetDouble(), row.ToString());
            Assert.Equal("in-process", row.GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task Through_server_streams_every_token_over_http_with_f16_kv()
    {
        // HttpStreams fails the run unless every stream delivers exactly --gen-tokens chunks.
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--quant", "int8", "--threads", "2", "--concurrency", "1,3",
            "--prompt-tokens", "8", "--gen-tokens", "12", "--reps", "1", "--kv-type", "f16", "--through-server", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal([1, 3], rows.Select(r => r.GetProperty("concurrency").GetInt32()));
        foreach (var row in rows)
        {
            Assert.Equal("http", row.GetProperty("path").GetString());
            Assert.Contains("KV F16", row.GetProperty("backend").GetString());
            Assert.True(row.GetProperty("aggregate_decode_tok_s").GetDouble() > 0, row.ToString());
        }
    }

    [Fact]
    public async Task Fleet_with_affinity_meets_each_users_prefix_and_cached_responses_where_routing_by_load_scatters_them()
    {
        // One client at a time keeps the routing deterministic (no spill-over); three users alternate over two replicas under least-requests.
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--threads", "1", "--fleet", "2", "--users", "3", "--turns", "3",
            "--clients", "1", "--system-tokens", "48", "--question-tokens", "8", "--gen-tokens", "4", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToDictionary(r => $"{r.GetProperty("routing").GetString()} {r.GetProperty("cache").GetString()}");
        Assert.Equal(["affinity cold", "affinity warm", "least-requests cold", "least-requests warm"], rows.Keys);
        Assert.All(rows.Values, r => Assert.Equal(9, r.GetProperty("requests").GetInt32()));
        Assert.All(rows.Values, r => Assert.True(r.GetProperty("requests_per_s").GetDouble() > 0, r.ToString()));
        Assert.Equal(0, rows["affinity cold"].GetProperty("response_cache_hits").GetInt32());
        Assert.Equal(9, rows["affinity warm"].GetProperty("response_cache_hits").GetInt32());
        Assert.True(rows["least-requests warm"].GetProperty("response_cache_hits").GetInt32() < 9, rows["least-requests warm"].ToString());
        // With affinity, each user's later turns find its 48-token system prompt (three 16-token blocks) on its replica.
        var affinity = rows["affinity cold"];
        Assert.True(affinity.GetProperty("cached_prompt_tokens").GetInt32() >= 3 * 2 * 48, affinity.ToString());
        Assert.True(affinity.GetProperty("prefix_cache_hit_ratio").GetDouble() > rows["least-requests cold"].GetProperty("prefix_cache_hit_ratio").GetDouble(),
            $"{affinity}\n{rows["least-requests cold"]}");
    }

    [Fact]
    public async Task Fleet_options_without_fleet_are_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--users", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--users needs --fleet N", result.StandardError);
    }

    [Fact]
    public async Task Through_server_without_concurrency_is_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--through-server");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--through-server needs --concurrency", result.StandardError);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1,x")]
    [InlineData("")]
    public async Task A_bad_concurrency_list_is_a_usage_error_naming_the_option(string levels)
    {
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--concurrency", levels);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--concurrency", result.StandardError);
    }
}
