using Transformer.Loader.Tokenization;
using Transformer.Runtime.Generation;
using Transformer.Serving;

namespace Transformer.Server.Generation;

/// <summary>
/// Turns one choice's generated tokens into text: whole UTF-8 characters (<see cref="Utf8PieceDecoder"/>),
/// stop strings cut off (<see cref="StopStringMatcher"/>), and each token released together with the text it
/// carries, so log-probabilities stay aligned with the text a client has received. A token whose text a stop
/// string cut is reported when any of its text was emitted, and dropped when none was.
/// </summary>
internal sealed class ChoiceText
{
    private readonly ITokenizer _tokenizer;
    private readonly Utf8PieceDecoder _decoder = new();
    private readonly StopStringMatcher _stops;
    private readonly Queue<(TextToken Token, int End)> _held = new();
    private int _previous;
    private int _decodedChars;
    private int _emittedChars;

    /// <param name="tokenizer">Decodes tokens.</param>
    /// <param name="lastPromptToken">The prompt's last token: how the first generated token reads depends on it (a leading space after BOS).</param>
    /// <param name="stopStrings">Text that ends the choice; it and what follows are not emitted.</param>
    public ChoiceText(ITokenizer tokenizer, int lastPromptToken, IReadOnlyList<string> stopStrings)
    {
        _tokenizer = tokenizer;
        _previous = lastPromptToken;
        _stops = new StopStringMatcher(stopStrings);
    }

    /// <summary>Adds a generated token; returns the text and tokens that can be sent now.</summary>
    public TextDelta Push(GeneratedToken token)
    {
        byte[] bytes = _tokenizer.DecodeBytes(_previous, token.Token).ToArray();
        var alternatives = token.TopLogprobs is { } top
            ? top.Select(a => new TextAlternative(a.Token, _tokenizer.DecodeBytes(_previous, a.Token).ToArray(), a.Logprob)).ToArray()
            : null;
        _previous = token.Token;
        string text = _decoder.Decode(bytes);
        int start = _decodedChars;
        _decodedChars += text.Length;
        _held.Enqueue((new TextToken(token.Token, bytes, token.Logprob?.Logprob, alternatives, start), _decodedChars));
        return Release(_stops.Push(text, out bool stopped), stopped, end: false);
    }

    /// <summary>Ends the choice: whatever the decoder and the stop matcher still hold.</summary>
    public TextDelta Finish()
    {
        string rest = _stops.Push(_decoder.Flush(), out bool stopped);
        if (!stopped) rest += _stops.Drain();
        return Release(rest, stopped, end: true);
    }

    private TextDelta Release(string ready, bool stopped, bool end)
    {
        _emittedChars += ready.Length;
        var tokens = new List<TextToken>();
        while (_held.TryPeek(out var next))
        {
            // Released when its text is all out; after a stop (or at the end) when any of it is.
            bool release = stopped ? next.Token.TextOffset < _emittedChars : end || next.End <= _emittedChars;
            if (!release) break;
            tokens.Add(_held.Dequeue().Token);
        }
        if (stopped) _held.Clear();
        return new TextDelta(ready, tokens, stopped);
    }
}

/// <summary>Text that can be sent, the tokens it completes, and whether a stop string ended the choice.</summary>
internal sealed record TextDelta(string Text, IReadOnlyList<TextToken> Tokens, bool Stopped);

/// <summary>A generated token as the API reports it: its bytes, log-probability, alternatives and where its text starts.</summary>
internal sealed record TextToken(int Id, byte[] Bytes, float? Logprob, IReadOnlyList<TextAlternative>? Alternatives, int TextOffset);

/// <summary>An alternative token with its bytes (in the same context) and log-probability.</summary>
internal sealed record TextAlternative(int Id, byte[] Bytes, float Logprob);
