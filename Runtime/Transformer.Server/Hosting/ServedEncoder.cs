using Transformer.Text;

namespace Transformer.Server.Hosting;

/// <summary>A loaded embedding model as /v1/embeddings sees it: the model and the id it is served under.</summary>
internal sealed class ServedEncoder(EmbeddingModel embedder, string id) : IDisposable
{
    public EmbeddingModel Embedder { get; } = embedder;
    public string Id { get; } = id;
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose() => Embedder.Dispose();
}
