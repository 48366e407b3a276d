using System.Runtime.CompilerServices;
using Transformer.Loader.Tokenization;

namespace Transformer.Runtime.Generation;

/// <summary>Generates text from a prompt with a model and its tokenizer, streaming it piece by piece.</summary>
public sealed class TextGenerator
{
    private readonly DecoderModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly int[] _stopTokens;

    /// <summary>Pairs a model with its tokenizer.</summary>
    public TextGenerator(DecoderModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}", nameof(tokenizer));
        // A generated BOS starts a new document, so it ends generation too (as llama2.c's run does).
        _stopTokens = model.Config.EosTokenIds.Concat(tokenizer.EosIds)
            .Concat(tokenizer.BosId is { } bos ? [bos] : [])
            .Distinct().ToArray();
    }

    /// <summary>Streams generated text; pieces are whole characters.</summary>
    public IEnumerable<string> Stream(string prompt, GenerationOptions options, GenerationStats? stats = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options.Validate();
        var promptTokens = _tokenizer.Encode(prompt, options.AddBos);
        if (promptTokens.Count == 0)
            throw new ArgumentException("the prompt encodes to no tokens and the vocabulary has no BOS to start from", nameof(prompt));
        // Checked here, before anything is streamed, so an over-long prompt is never half echoed.
        if (promptTokens.Count > _model.MaxSequenceLength) throw new ContextOverflowException(_model.MaxSequenceLength, promptTokens.Count);
        return Run(promptTokens, options, stats ?? new GenerationStats(), cancellation);
    }

    /// <summary>Streams generated text asynchronously; each token is computed on the thread pool.</summary>
    public async IAsyncEnumerable<string> StreamAsync(string prompt, GenerationOptions options, GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var pieces = Stream(prompt, options, stats, cancellation).GetEnumerator();
        while (await Task.Run(pieces.MoveNext, cancellation).ConfigureAwait(false))
            yield return pieces.Current;
    }

    /// <summary>Generates the whole text.</summary>
    public string Generate(string prompt, GenerationOptions options, GenerationStats? stats = null, CancellationToken cancellation = default) =>
        string.Concat(Stream(prompt, options, stats, cancellation));

    private IEnumerable<string> Run(IReadOnlyList<int> prompt, GenerationOptions options, GenerationStats stats, CancellationToken cancellation)
    {
        var decoder = new Utf8PieceDecoder();
        int previous = -1;
        if (options.EchoPrompt)
        {
            foreach (int token in prompt)
            {
                string piece = decoder.Decode(_tokenizer.DecodeBytes(previous, token));
                previous = token;
                if (piece.Length > 0) yield return piece;
            }
        }
        else
        {
            previous = prompt[^1];
        }

        // The KV cache holds what this generation can reach, not the model's whole context (which for a
        // long-context model would be gigabytes); reaching it stops generation with StopReason.ContextFull.
        long reach = (long)prompt.Count + options.MaxNewTokens;
        using var sequence = _model.CreateSequence((int)Math.Min(_model.MaxSequenceLength, reach));
        var stops = new StopStringMatcher(options.StopStrings);
        foreach (int token in TokenGenerator.Generate(sequence, prompt, options, _stopTokens, stats, cancellation))
        {
            string text = decoder.Decode(_tokenizer.DecodeBytes(previous, token));
            previous = token;
            string ready = stops.Push(text, out bool stopped);
            if (ready.Length > 0) yield return ready;
            if (stopped) { stats.StopReason = StopReason.StopString; yield break; }
        }
        string rest = stops.Push(decoder.Flush(), out bool stoppedAtEnd) + (stoppedAtEnd ? "" : stops.Drain());
        if (stoppedAtEnd) stats.StopReason = StopReason.StopString;
        if (rest.Length > 0) yield return rest;
    }
}
