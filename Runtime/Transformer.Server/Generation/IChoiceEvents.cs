using System.Threading.Channels;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>What a response is written from: the events of its choices and its usage. A run in the scheduler, or a cached response replayed.</summary>
internal interface IChoiceEvents
{
    /// <summary>Events of every choice, in order; completes when every choice has ended.</summary>
    ChannelReader<ChoiceEvent> Events { get; }

    /// <summary>Usage for the response body.</summary>
    Usage Usage();
}
