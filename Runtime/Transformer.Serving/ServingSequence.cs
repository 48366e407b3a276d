using Transformer.Runtime.Paging;
using Transformer.Runtime.Sampling;

namespace Transformer.Serving;

/// <summary>
/// A request inside the scheduler: its tokens so far (prompt, then generated), how many of them have
/// their KV written, its blocks and its sampler. Touched only by the scheduler's thread, except the
/// cancellation flag.
/// </summary>
internal sealed class ServingSequence
{
    private int[] _tokens;

    public ServingSequence(GenerationRequest request, long arrival, KvBlockManager blocks)
    {
        Request = request;
        Arrival = arrival;
        Stream = new GenerationStream(request.Prompt.Count);
        Sampler = new Sampler(request.Sampling);
        Blocks = new SequenceBlocks(blocks);
        _tokens = new int[request.Prompt.Count + Math.Min(request.MaxTokens, 1024)];
        for (int i = 0; i < request.Prompt.Count; i++) _tokens[i] = request.Prompt[i];
        Length = request.Prompt.Count;
    }

    public GenerationRequest Request { get; }
    public GenerationStream Stream { get; }
    public Sampler Sampler { get; }
    public SequenceBlocks Blocks { get; }
    /// <summary>Submission order: admission is first come, first served, and preemption takes the newest.</summary>
    public long Arrival { get; }
    /// <summary>Prompt and generated tokens.</summary>
    public int Length { get; private set; }
    /// <summary>Tokens whose keys and values are in the pool.</summary>
    public int Computed { get; set; }
    public int Generated => Length - Request.Prompt.Count;
    /// <summary>Whether it has started once (a preempted sequence keeps its first cached-prompt count).</summary>
    public bool Started { get; set; }
    /// <summary>Times it lost its blocks to make room and was recomputed.</summary>
    public int Preemptions { get; set; }
    /// <summary>Set from any thread; the scheduler removes the sequence before its next step.</summary>
    public volatile bool CancelRequested;
    public CancellationTokenRegistration Registration { get; set; }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);
    public ReadOnlySpan<int> GeneratedTokens => _tokens.AsSpan(Request.Prompt.Count, Generated);

    /// <summary>Tokens still to run through the model; the last of them yields the next token's logits.</summary>
    public int Pending => Length - Computed;

    public void Append(int token)
    {
        if (Length == _tokens.Length) Array.Resize(ref _tokens, _tokens.Length * 2);
        _tokens[Length++] = token;
    }
}
