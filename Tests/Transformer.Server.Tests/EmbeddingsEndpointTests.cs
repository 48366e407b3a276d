using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using Transformer.Tests.Encoders;
using Transformer.Text;

namespace Transformer.Server.Tests;

/// <summary>POST /v1/embeddings on a real loopback server serving the tiny BERT fixture, through OpenAI's own client and raw HTTP.</summary>
public sealed class EmbeddingsEndpointTests : IAsyncLifetime
{
    private const string ModelId = "tiny-bert";
    private TestServer _server = null!;
    private EmbeddingModel _local = null!;

    public async ValueTask InitializeAsync()
    {
        _local = TinyBert.Load();
        _server = await TestServer.StartAsync(new ServerOptions
        {
            ModelPath = TinyBert.FixturePath, ModelId = ModelId, Port = 0, LoadEmbeddingModel = _ => TinyBert.Load(),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _local.Dispose();
    }

    private EmbeddingClient Client() => new(ModelId, new ApiKeyCredential("not-checked"), new OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "v1") });

    [Fact]
    public async Task The_openai_client_gets_the_in_process_vectors()
    {
        OpenAIEmbedding one = await Client().GenerateEmbeddingAsync("the quick brown fox");
        Assert.Equal(_local.Embed("the quick brown fox"), one.ToFloats().ToArray());

        string[] texts = ["a first sentence", "and a second one", "the quick brown fox"];
        OpenAIEmbeddingCollection batch = await Client().GenerateEmbeddingsAsync(texts);
        Assert.Equal(texts.Length, batch.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(i, batch[i].Index);
            Assert.Equal(_local.Embed(texts[i]), batch[i].ToFloats().ToArray());
        }
        Assert.Equal(texts.Sum(t => _local.Encode(t).Count), batch.Usage.InputTokenCount);
        Assert.Equal(ModelId, batch.Model);

        ReadOnlyMemory<int>[] ids = [new[] { 2, 15, 27, 3 }, new[] { 2, 7, 3 }];
        OpenAIEmbeddingCollection byIds = await Client().GenerateEmbeddingsAsync(ids);
        Assert.Equal(_local.EmbedTokens([2, 7, 3]), byIds[1].ToFloats().ToArray());
    }

    [Fact]
    public async Task Float_and_base64_encodings_carry_the_same_vector()
    {
        var asFloats = await _server.PostJsonAsync("/v1/embeddings", """{"input": [2, 15, 27, 3], "encoding_format": "float"}""");
        var asBase64 = await _server.PostJsonAsync("/v1/embeddings", """{"input": [[2, 15, 27, 3]], "encoding_format": "base64", "model": "tiny-bert"}""");
        float[] floats = asFloats.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        byte[] bytes = Convert.FromBase64String(asBase64.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        float[] decoded = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, 4 * i)).ToArray();
        Assert.Equal(_local.EmbedTokens([2, 15, 27, 3]), floats);
        Assert.Equal(floats, decoded);
        Assert.Equal("list", asFloats.GetProperty("object").GetString());
        Assert.Equal("embedding", asFloats.GetProperty("data")[0].GetProperty("object").GetString());
        Assert.Equal(4, asFloats.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, asFloats.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData("""{}""", "input", "'input' (a string")]
    [InlineData("""{"input": []}""", "input", "must not be an empty array")]
    [InlineData("""{"input": ""}""", "input", "must not be an empty string")]
    [InlineData("""{"input": 5}""", "input", "'input' must be a string, an array")]
    [InlineData("""{"input": ["ok", 5]}""", "input[1]", "must be a string or an array of token ids")]
    [InlineData("""{"input": [2, 100, 3]}""", "input[1]", "is 100, outside the vocabulary [0, 100)")]
    [InlineData("""{"input": [[2, 3], [2, "x"]]}""", "input[1][1]", "must be a token id")]
    [InlineData("""{"input": "a", "encoding_format": "hex"}""", "encoding_format", "must be \"float\" or \"base64\"")]
    [InlineData("""{"input": "a", "dimensions": 8}""", "dimensions", "this model's vectors have 32")]
    public async Task Bad_input_is_a_400_naming_the_field(string body, string param, string message)
    {
        var error = (await _server.PostJsonAsync("/v1/embeddings", body, 400)).GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Too_long_an_input_and_another_model_name_are_refused()
    {
        string tooLong = $$"""{"input": [{{string.Join(",", Enumerable.Repeat(5, 65))}}]}""";
        var error = (await _server.PostJsonAsync("/v1/embeddings", tooLong, 400)).GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        await _server.PostJsonAsync("/v1/embeddings", """{"input": "a", "model": "gpt-4"}""", 404);
    }

    [Fact]
    public async Task Generation_endpoints_say_the_model_is_an_encoder()
    {
        var error = (await _server.PostJsonAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}]}""", 400)).GetProperty("error");
        Assert.Equal("model_not_supported", error.GetProperty("code").GetString());
        Assert.Contains("embedding model", error.GetProperty("message").GetString());
        await _server.PostJsonAsync("/v1/completions", """{"prompt": "hi"}""", 400);
        var models = JsonDocument.Parse(await _server.Http.GetStringAsync("v1/models")).RootElement;
        Assert.Equal(ModelId, models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal("ok", JsonDocument.Parse(await _server.Http.GetStringAsync("health")).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_bert_folder_is_served_as_an_encoder_without_being_told()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = TinyBert.FixturePath, Port = 0, Model = new LanguageModelOptions { Threads = 1 } });
        var answer = await server.PostJsonAsync("/v1/embeddings", """{"input": [2, 7, 3]}""");
        Assert.Equal(_local.EmbedTokens([2, 7, 3]), answer.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        var error = (await server.PostJsonAsync("/v1/embeddings", """{"input": "text"}""", 400)).GetProperty("error");
        Assert.Contains("has no tokenizer", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_nomic_bert_folder_is_served_as_an_encoder_too()
    {
        string folder = Path.Combine(Path.GetDirectoryName(TinyBert.FixturePath)!, "nomic-bert");
        using var local = EmbeddingModel.Load(folder, new EmbeddingModelOptions { Threads = 1 });
        await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = folder, Port = 0, Model = new LanguageModelOptions { Threads = 1 } });
        var answer = await server.PostJsonAsync("/v1/embeddings", """{"input": [2, 15, 27, 3]}""");
        Assert.Equal(local.EmbedTokens([2, 15, 27, 3]), answer.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }
}
