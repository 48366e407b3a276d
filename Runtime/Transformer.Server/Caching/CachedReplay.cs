using System.Threading.Channels;
using Transformer.Server.Api;
using Transformer.Server.Generation;

namespace Transformer.Server.Caching;

/// <summary>A cached response as the events of a run that has already finished, so it is written out exactly as a fresh one (whole or as SSE).</summary>
internal sealed class CachedReplay : IChoiceEvents
{
    private readonly CachedResponse _response;
    private readonly Channel<ChoiceEvent> _events = Channel.CreateUnbounded<ChoiceEvent>();

    public CachedReplay(CachedResponse response)
    {
        _response = response;
        foreach (var e in response.Events) _events.Writer.TryWrite(e.ToChoiceEvent());
        _events.Writer.Complete();
    }

    public ChannelReader<ChoiceEvent> Events => _events.Reader;

    /// <summary>The original counts; every prompt token counts as cached, as none was computed for this response.</summary>
    public Usage Usage() => new(_response.PromptTokens, _response.CompletionTokens, _response.PromptTokens + _response.CompletionTokens,
        new PromptTokensDetails(_response.PromptTokens));
}
