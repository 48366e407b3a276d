using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using Transformer.Server;
using Transformer.Tests.Encoders;

namespace Transformer.Extensions.AI.Tests;

/// <summary>The in-process IEmbeddingGenerator over the tiny BERT fixture, and OpenAI's generator over our server giving the same vectors.</summary>
public sealed class TransformerEmbeddingGeneratorTests
{
    private static readonly string[] Texts = ["the quick brown fox", "jumps over", "the lazy dog today"];

    [Fact]
    public async Task Generates_the_model_s_vectors_in_order_with_usage()
    {
        using var model = TinyBert.Load();
        using IEmbeddingGenerator<string, Embedding<float>> generator = new TransformerEmbeddingGenerator(model);

        var embeddings = await generator.GenerateAsync(Texts);

        Assert.Equal(Texts.Length, embeddings.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(model.Embed(Texts[i]), embeddings[i].Vector.ToArray());
            Assert.Equal("tiny-bert", embeddings[i].ModelId);
        }
        Assert.Equal(Texts.Sum(t => model.Encode(t).Count), embeddings.Usage!.InputTokenCount);
        Assert.Equal(model.Embed("jumps over"), (await generator.GenerateVectorAsync("jumps over")).ToArray());
        Assert.Equal(32, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(Texts, new Microsoft.Extensions.AI.EmbeddingGenerationOptions { Dimensions = 8 }));
    }

    [Fact]
    public async Task OpenAI_s_generator_pointed_at_our_server_gives_the_same_vectors()
    {
        using var model = TinyBert.Load();
        using var local = new TransformerEmbeddingGenerator(model);
        await using var server = InferenceServer.Create(new ServerOptions
        {
            ModelPath = TinyBert.FixturePath, ModelId = "tiny-bert", Port = 0, LoadEmbeddingModel = _ => TinyBert.Load(),
        });
        await server.StartAsync();
        await server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        using IEmbeddingGenerator<string, Embedding<float>> remote = new EmbeddingClient("tiny-bert", new ApiKeyCredential("not-checked"),
            new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") }).AsIEmbeddingGenerator();

        var expected = await local.GenerateAsync(Texts);
        var actual = await remote.GenerateAsync(Texts);

        Assert.Equal(expected.Select(e => e.Vector.ToArray()), actual.Select(e => e.Vector.ToArray()));
        Assert.Equal(expected.Usage!.InputTokenCount, actual.Usage!.InputTokenCount);
    }
}
