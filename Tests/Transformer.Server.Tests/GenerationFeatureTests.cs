using System.Text.Json;

namespace Transformer.Server.Tests;

/// <summary>stop, n with seeds, log-probability shapes, tokenize/detokenize, through the API.</summary>
public sealed class GenerationFeatureTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    private static string Text(JsonElement response, int choice = 0) => response.GetProperty("choices")[choice].GetProperty("text").GetString()!;

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_with_finish_reason_stop()
    {
        var server = await fixture.GetAsync();
        string free = Text(await server.PostJsonAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":60,"temperature":0}"""));
        // A stop string from the middle of the free text, likely spanning tokens.
        string stop = free.Substring(free.Length / 2, 3);
        int at = free.IndexOf(stop, StringComparison.Ordinal);

        var stopped = await server.PostJsonAsync("v1/completions",
            $$"""{"prompt":"Once upon a time","max_tokens":60,"temperature":0,"stop":["zzzz",{{JsonSerializer.Serialize(stop)}}],"logprobs":0}""");

        Assert.Equal(free[..at], Text(stopped));
        var choice = stopped.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        // The tokens reported are those whose text was (at least partly) sent; their offsets lie inside it.
        var offsets = choice.GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.All(offsets, o => Assert.InRange(o, 0, Math.Max(0, at - 1)));
        Assert.True(string.Concat(choice.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString())).Length >= at);
    }

    [Fact]
    public async Task With_a_seed_choice_i_of_n_is_the_single_request_with_seed_plus_i()
    {
        var server = await fixture.GetAsync();
        const string sampling = "\"prompt\":\"Lily\",\"max_tokens\":20,\"temperature\":1.0,\"top_k\":40";

        var many = await server.PostJsonAsync("v1/completions", $$"""{{{sampling}},"n":3,"seed":40}""");
        Assert.Equal(3, many.GetProperty("choices").GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            var one = await server.PostJsonAsync("v1/completions", $$"""{{{sampling}},"seed":{{40 + i}}}""");
            Assert.Equal(Text(one), Text(many, i));
            Assert.Equal(i, many.GetProperty("choices")[i].GetProperty("index").GetInt32());
        }
        Assert.NotEqual(Text(many, 0), Text(many, 1));
        // The prompt counts once, the completions of every choice add up.
        var usage = many.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("prompt_tokens").GetInt32()); // BOS and "Lily"
        Assert.Equal(60, usage.GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_logprobs_carry_tokens_bytes_and_sorted_alternatives()
    {
        var server = await fixture.GetAsync();
        var response = await server.PostJsonAsync("v1/chat/completions",
            """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":12,"temperature":0,"logprobs":true,"top_logprobs":4}""");

        var choice = response.GetProperty("choices")[0];
        var entries = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(response.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), entries.Count);
        Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), string.Concat(entries.Select(e => e.GetProperty("token").GetString())));
        foreach (var e in entries)
        {
            var top = e.GetProperty("top_logprobs").EnumerateArray().Select(t => t.GetProperty("logprob").GetSingle()).ToList();
            Assert.Equal(4, top.Count);
            Assert.Equal(top.OrderDescending(), top);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(top[0], e.GetProperty("logprob").GetSingle());
            Assert.True(e.GetProperty("logprob").GetSingle() <= 0);
            var bytes = e.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray();
            Assert.Equal(e.GetProperty("token").GetString(), System.Text.Encoding.UTF8.GetString(bytes));
        }
        Assert.Equal(JsonValueKind.Null, (await server.PostJsonAsync("v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}"""))
            .GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task Several_prompts_in_one_request_each_get_their_choices()
    {
        var server = await fixture.GetAsync();
        string tom = (await server.PostJsonAsync("tokenize", """{"prompt":"Tom"}""")).GetProperty("tokens").GetRawText();
        var both = await server.PostJsonAsync("v1/completions", $$"""{"prompt":["Lily",{{tom}}],"max_tokens":8,"temperature":0}""");
        var lily = await server.PostJsonAsync("v1/completions", """{"prompt":"Lily","max_tokens":8,"temperature":0}""");
        var byIds = await server.PostJsonAsync("v1/completions", """{"prompt":"Tom","max_tokens":8,"temperature":0}""");

        Assert.Equal(Text(lily), Text(both, 0));
        Assert.Equal(Text(byIds), Text(both, 1));
        Assert.Equal(1, both.GetProperty("choices")[1].GetProperty("index").GetInt32());
    }

    [Fact]
    public async Task Tokenize_and_detokenize_round_trip_and_match_the_tokenizer()
    {
        var server = await fixture.GetAsync();
        using var model = Transformer.Text.LanguageModel.Load(SharedModels.Stories260K);
        const string prompt = "Lily and Tom went to the park.";

        var tokenized = await server.PostJsonAsync("tokenize", $$"""{"prompt":"{{prompt}}"}""");
        var ids = tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(model.Encode(prompt), ids);
        Assert.Equal(ids.Length, tokenized.GetProperty("count").GetInt32());
        Assert.Equal(model.Config.MaxPositions, tokenized.GetProperty("max_model_len").GetInt32());
        Assert.Equal(model.Encode(prompt, addBos: false),
            (await server.PostJsonAsync("tokenize", $$"""{"prompt":"{{prompt}}","add_special_tokens":false}""")).GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));

        var detokenized = await server.PostJsonAsync("detokenize", $$"""{"tokens":[{{string.Join(',', ids)}}]}""");
        Assert.Equal(prompt, detokenized.GetProperty("prompt").GetString());

        var chat = await server.PostJsonAsync("tokenize", """{"messages":[{"role":"user","content":"Hi"}]}""");
        var expected = model.Encode("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        Assert.Equal(expected, chat.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
    }
}
