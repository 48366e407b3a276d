using System.Globalization;
using System.Text.Json;
using Transformer.Cli.Commands;
using Transformer.Loader;
using Transformer.Loader.Safetensors;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer logits</c> prints what the model computes, and dumps what it observes, on the bundled stories260K.</summary>
public sealed class LogitsCommandTests
{
    private const string Prompt = "Once upon a time";

    private static string Model => DefaultModel.Directory;

    /// <summary>The logits and tokens the API computes for the prompt: what the command must print.</summary>
    private static (int[] Tokens, float[] Logits, int Vocab) Reference(string text = Prompt)
    {
        using var model = LanguageModel.Load(Model);
        int[] tokens = [.. model.Encode(text)];
        return (tokens, model.Logits(tokens), model.Config.VocabSize);
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    [Fact]
    public async Task The_table_shows_each_position_with_its_token_and_the_most_likely_next_tokens()
    {
        var (tokens, logits, vocab) = Reference();

        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--text", Prompt, "--top", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StandardError);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"model: {Model} (LlamaForCausalLM, 512 ids); {tokens.Length} tokens; next-token top 3", lines[0]);
        Assert.Equal(2 + tokens.Length, lines.Length);
        for (int p = 0; p < tokens.Length; p++)
        {
            var fields = lines[2 + p].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(p.ToString(CultureInfo.InvariantCulture), fields[0]);
            Assert.Equal(tokens[p].ToString(CultureInfo.InvariantCulture), fields[1]);
            // The first candidate after the piece is the argmax of that row.
            int best = Argmax(logits.AsSpan(p * vocab, vocab));
            string next = lines[2 + p][(lines[2 + p].IndexOf("\"  ", StringComparison.Ordinal) + 3)..].TrimStart();
            Assert.StartsWith($"{best} \"", next);
        }
        Assert.Contains("378 \" time\"", lines[2 + 3]); // "Once upon a" → " time"
    }

    [Fact]
    public async Task Json_without_top_holds_every_logit_of_every_position_as_the_api_computes_them()
    {
        var (tokens, logits, vocab) = Reference();

        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--text", Prompt, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(vocab, root.GetProperty("vocab_size").GetInt32());
        Assert.Equal(tokens, root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        var positions = root.GetProperty("positions").EnumerateArray().ToArray();
        Assert.Equal(tokens.Length, positions.Length);
        for (int p = 0; p < tokens.Length; p++)
        {
            Assert.Equal(p, positions[p].GetProperty("position").GetInt32());
            Assert.Equal(tokens[p], positions[p].GetProperty("token").GetInt32());
            Assert.False(positions[p].TryGetProperty("top", out _));
            float[] row = [.. positions[p].GetProperty("logits").EnumerateArray().Select(v => v.GetSingle())];
            Assert.Equal(logits.AsSpan(p * vocab, vocab).ToArray(), row);
        }
        Assert.Equal("Once", positions[1].GetProperty("piece").GetString());
    }

    [Fact]
    public async Task Json_with_top_gives_the_k_best_tokens_with_their_softmax_probabilities()
    {
        var (tokens, logits, vocab) = Reference();

        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--tokens", string.Join(',', tokens), "--json", "--top", "4");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var positions = json.RootElement.GetProperty("positions").EnumerateArray().ToArray();
        for (int p = 0; p < tokens.Length; p++)
        {
            var row = logits.AsSpan(p * vocab, vocab).ToArray();
            double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
            int[] expected = [.. Enumerable.Range(0, vocab).OrderByDescending(i => row[i]).ThenBy(i => i).Take(4)];
            var top = positions[p].GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(expected, top.Select(t => t.GetProperty("id").GetInt32()));
            foreach (var t in top)
            {
                int id = t.GetProperty("id").GetInt32();
                Assert.Equal(row[id], t.GetProperty("logit").GetSingle());
                Assert.Equal(Math.Exp(row[id] - max) / sum, t.GetProperty("probability").GetDouble(), 1e-12);
            }
        }
    }

    [Fact]
    public async Task Tokens_given_as_ids_print_the_same_as_the_text_they_encode()
    {
        var (tokens, _, _) = Reference();

        var byText = await CliRun.InvokeAsync("logits", "--model", Model, "--text", Prompt, "--json", "--top", "2");
        var byIds = await CliRun.InvokeAsync("logits", "--model", Model, "--tokens", string.Join(", ", tokens), "--json", "--top", "2");

        Assert.Equal(0, byIds.ExitCode);
        Assert.Equal(byText.Output, byIds.Output);
    }

    [Theory]
    [InlineData("1,403,9999", "--tokens: token id 9999 (at index 2) is outside the vocabulary of 512 ids (0 to 511)")]
    [InlineData("1,-4", "--tokens takes comma-separated token ids; '-4' is not one")]
    [InlineData("1,,2", "--tokens takes comma-separated token ids; '' is not one")]
    [InlineData(" ", "--tokens is empty: give at least one token id")]
    public async Task Bad_token_lists_fail_with_one_line_naming_the_problem(string list, string message)
    {
        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--tokens", list);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: " + message], result.ErrorLines);
        Assert.Empty(result.StandardOutput);
    }

    [Fact]
    public async Task Empty_text_is_an_error_not_a_run_of_bos_alone()
    {
        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--text", "");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: --text is empty: there is no token to compute logits after"], result.ErrorLines);
    }

    [Fact]
    public async Task More_tokens_than_the_context_holds_is_a_context_overflow()
    {
        string ids = string.Join(',', Enumerable.Repeat(1, 513));

        var result = await CliRun.InvokeAsync("logits", "--model", Model, "--tokens", ids);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: context overflow: the sequence holds at most 512 tokens, 513 were needed"], result.ErrorLines);
    }

    [Theory]
    [InlineData]
    [InlineData("--text", "x", "--tokens", "1")]
    [InlineData("--tokens", "1", "--top", "0")]
    public async Task Input_must_be_text_or_tokens_and_top_positive(params string[] args)
    {
        var result = await CliRun.InvokeAsync(["logits", "--model", Model, .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
    }

    [Fact]
    public async Task Dump_holds_every_observed_activation_for_the_tokens_in_op_order()
    {
        var (tokens, logits, vocab) = Reference();
        string path = Path.Combine(Path.GetTempPath(), $"logits-dump-{Guid.NewGuid():N}.safetensors");
        try
        {
            var result = await CliRun.InvokeAsync("logits", "--model", Model, "--text", Prompt, "--dump-activations", path);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal([$"activations: 42 tensors for {tokens.Length} tokens written to {path}"], result.ErrorLines);
            using var dump = SafetensorsFile.Open(path);
            Assert.Equal(LogitsCommand.DumpFormat, dump.Metadata["format"]);
            Assert.Equal(Model, dump.Metadata["model"]);
            Assert.Equal("f32", dump.Metadata["weights"]);
            Assert.Equal(string.Join(',', tokens), dump.Metadata["tokens"]);

            string[] perLayer = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_out", "ffn_norm", "ffn_act", "out"];
            string[] expected = ["token_embd", .. Enumerable.Range(0, 5).SelectMany(l => perLayer.Select(s => $"blk.{l}.{s}")), "result_output"];
            Assert.Equal(expected, dump.Tensors.Select(t => t.Name));
            Assert.All(dump.Tensors, t => Assert.Equal(tokens.Length, t.Shape[0]));
            Assert.Equal([tokens.Length, 64], dump.Get("blk.2.attn_q").Shape);
            Assert.Equal([tokens.Length, 32], dump.Get("blk.2.attn_k").Shape);
            Assert.Equal(logits, dump.Get("result_output").ToFloat32());

            // The embedding rows are the model file's own rows of those ids.
            using var files = ModelFiles.Open(Model);
            float[] table = files.Weights.Get("model.embed_tokens.weight").ToFloat32(), embedded = dump.Get("token_embd").ToFloat32();
            for (int p = 0; p < tokens.Length; p++)
                Assert.Equal(table.AsSpan(tokens[p] * 64, 64).ToArray(), embedded.AsSpan(p * 64, 64).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_dump_longer_than_one_prefill_chunk_puts_every_chunk_at_its_positions()
    {
        int[] tokens = [.. Enumerable.Range(0, 300).Select(i => (i * 37 + 1) % 512)];
        float[] logits;
        using (var model = LanguageModel.Load(Model)) logits = model.Logits(tokens);
        string path = Path.Combine(Path.GetTempPath(), $"logits-dump-{Guid.NewGuid():N}.safetensors");
        try
        {
            var result = await CliRun.InvokeAsync("logits", "--model", Model, "--tokens", string.Join(',', tokens), "--top", "1", "--dump-activations", path);

            Assert.Equal(0, result.ExitCode);
            using var dump = SafetensorsFile.Open(path);
            Assert.Equal([300, 512], dump.Get("result_output").Shape);
            Assert.Equal(logits, dump.Get("result_output").ToFloat32());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
