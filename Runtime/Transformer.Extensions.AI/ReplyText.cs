using Transformer.Loader.Tokenization;
using Transformer.Runtime.Generation;

namespace Transformer.Extensions.AI;

/// <summary>
/// Turns a reply's tokens into text the way the engine's own generator does: whole UTF-8 characters
/// (<see cref="Utf8PieceDecoder"/>), and stop strings cut off with what follows (<see cref="StopStringMatcher"/>).
/// </summary>
internal sealed class ReplyText(ITokenizer tokenizer, int lastPromptToken, IReadOnlyList<string> stopStrings)
{
    private readonly Utf8PieceDecoder _decoder = new();
    private readonly StopStringMatcher _stops = new(stopStrings);
    private int _previous = lastPromptToken;

    /// <summary>The text that can be released after this token; <paramref name="stopped"/> when a stop string ended the reply.</summary>
    public string Push(int token, out bool stopped)
    {
        string text = _decoder.Decode(tokenizer.DecodeBytes(_previous, token));
        _previous = token;
        return _stops.Push(text, out stopped);
    }

    /// <summary>What is still held back at the end of the reply.</summary>
    public string Finish(out bool stopped)
    {
        string rest = _stops.Push(_decoder.Flush(), out stopped);
        return stopped ? rest : rest + _stops.Drain();
    }
}
