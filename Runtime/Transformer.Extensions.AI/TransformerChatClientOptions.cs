using Transformer.Serving;

namespace Transformer.Extensions.AI;

/// <summary>How a <see cref="TransformerChatClient"/> serves its model.</summary>
public sealed record TransformerChatClientOptions
{
    /// <summary>The model id reported in responses and <see cref="Microsoft.Extensions.AI.ChatClientMetadata"/>; null takes the model folder's name.</summary>
    public string? ModelId { get; init; }

    /// <summary>How the scheduler shares the model between concurrent calls (sequences decoded together, queue, KV memory).</summary>
    public ServingOptions Serving { get; init; } = new();
}
