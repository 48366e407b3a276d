using System.Numerics.Tensors;

namespace Transformer.Runtime.Sampling;

/// <summary>
/// Picks the next token from a row of logits. Owns its random generator and scratch arrays, so
/// after the first call it allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly Random _random;
    private int[] _order = [];
    private float[] _probabilities = [];
    private bool[] _penalized = [];
    private float[] _sortKeys = [];

    /// <summary>Creates a sampler; the options are validated here.</summary>
    public Sampler(SamplingOptions options)
    {
        options.Validate();
        Options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>The options in force.</summary>
    public SamplingOptions Options { get; }

    /// <summary>True when the choice is a plain argmax, which a backend can compute on its device.</summary>
    public bool IsGreedy => Options.Temperature == 0 && Options.RepetitionPenalty == 1f && !HasOpenAiPenalties;

    private bool HasOpenAiPenalties => Options.FrequencyPenalty != 0f || Options.PresencePenalty != 0f;

    /// <summary>
    /// Chooses a token; <paramref name="context"/> is every token so far (prompt and generated), which the
    /// frequency and presence penalties also take as the generated tokens. The logits are modified in
    /// place (penalties, temperature).
    /// </summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> context) => Sample(logits, context, context);

    /// <summary>
    /// Chooses a token: the repetition penalty looks at <paramref name="context"/> (prompt and generated
    /// tokens), the frequency and presence penalties at <paramref name="generated"/> only. The logits are
    /// modified in place (penalties, temperature).
    /// </summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> context, ReadOnlySpan<int> generated)
    {
        EnsureScratch(logits.Length);
        ApplyRepetitionPenalty(logits, context);
        ApplyOpenAiPenalties(logits, generated);
        if (Options.Temperature == 0) return TensorPrimitives.IndexOfMax(logits);

        TensorPrimitives.Divide(logits, Options.Temperature, logits);
        Span<float> p = _probabilities.AsSpan(0, logits.Length);
        TensorPrimitives.SoftMax(logits, p);
        int candidates = RankCandidates(p);
        return Draw(p, candidates);
    }

    private void ApplyRepetitionPenalty(Span<float> logits, ReadOnlySpan<int> context)
    {
        float penalty = Options.RepetitionPenalty;
        if (penalty == 1f) return;
        // Each distinct token is penalised once, however often it occurs.
        foreach (int token in context)
        {
            if ((uint)token >= (uint)logits.Length || _penalized[token]) continue;
            _penalized[token] = true;
            logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
        }
        foreach (int token in context)
            if ((uint)token < (uint)logits.Length) _penalized[token] = false;
    }

    private void ApplyOpenAiPenalties(Span<float> logits, ReadOnlySpan<int> generated)
    {
        if (!HasOpenAiPenalties) return;
        // logit -= count · frequency + (count > 0) · presence: the presence part once per distinct token.
        foreach (int token in generated)
        {
            if ((uint)token >= (uint)logits.Length) continue;
            logits[token] -= Options.FrequencyPenalty;
            if (_penalized[token]) continue;
            _penalized[token] = true;
            logits[token] -= Options.PresencePenalty;
        }
        foreach (int token in generated)
            if ((uint)token < (uint)logits.Length) _penalized[token] = false;
    }

    /// <summary>
    /// Orders token ids by probability, most likely first, in _order, and returns how many of them
    /// survive top-k, top-p and min-p.
    /// </summary>
    private int RankCandidates(Span<float> p)
    {
        bool filtered = Options.TopK > 0 || Options.TopP < 1f || Options.MinP > 0f;
        var order = _order.AsSpan(0, p.Length);
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!filtered) return p.Length;

        // Sort ids by descending probability; ties keep the lower id first.
        var keys = _sortKeys.AsSpan(0, p.Length);
        for (int i = 0; i < keys.Length; i++) keys[i] = -p[i];
        keys.Sort(order);

        int count = Options.TopK > 0 ? Math.Min(Options.TopK, p.Length) : p.Length;
        if (Options.TopP < 1f)
        {
            float mass = 0;
            for (int i = 0; i < count; i++)
            {
                mass += p[order[i]];
                if (mass >= Options.TopP) { count = i + 1; break; }
            }
        }
        if (Options.MinP > 0f)
        {
            float floor = Options.MinP * p[order[0]];
            int kept = 1;
            while (kept < count && p[order[kept]] >= floor) kept++;
            count = kept;
        }
        return count;
    }

    private int Draw(ReadOnlySpan<float> p, int candidates)
    {
        float total = 0;
        for (int i = 0; i < candidates; i++) total += p[_order[i]];
        float target = _random.NextSingle() * total;
        float cumulative = 0;
        for (int i = 0; i < candidates; i++)
        {
            cumulative += p[_order[i]];
            if (target < cumulative) return _order[i];
        }
        return _order[candidates - 1]; // rounding left the target at the very top of the range
    }

    private void EnsureScratch(int vocab)
    {
        if (_order.Length >= vocab) return;
        _order = new int[vocab];
        _probabilities = new float[vocab];
        _penalized = new bool[vocab];
        _sortKeys = new float[vocab];
    }
}
