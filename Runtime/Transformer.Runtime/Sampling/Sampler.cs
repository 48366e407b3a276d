using System.Numerics.Tensors;
using Transformer.Kernels.Cpu.Ops;

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
    private int[] _occurrences = [];
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
    public bool IsGreedy => Options.Temperature == 0 && !HasPenalties;

    private bool HasPenalties => Options.RepetitionPenalty != 1f || Options.FrequencyPenalty != 0f || Options.PresencePenalty != 0f;

    /// <summary>
    /// Chooses a token; <paramref name="context"/> is every token so far, which the frequency and presence
    /// penalties also count. The logits are modified in place (penalties, temperature).
    /// </summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> context) => Sample(logits, context, context);

    /// <summary>
    /// Chooses a token: the repetition penalty looks at <paramref name="context"/> (prompt and generated tokens),
    /// the frequency and presence penalties count <paramref name="generated"/> only, as vLLM's server does. The
    /// logits are modified in place (penalties, temperature).
    /// </summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> context, ReadOnlySpan<int> generated)
    {
        EnsureScratch(logits.Length);
        ApplyPenalties(logits, context, generated);
        if (Options.Temperature == 0) return TensorPrimitives.IndexOfMax(logits);
        int candidates = Filter(logits);
        return Draw(_probabilities.AsSpan(0, logits.Length), candidates);
    }

    /// <summary>
    /// The ids a draw chooses among: what survives penalties, temperature, top-k, top-p and min-p, most likely
    /// first (every id, in id order, when no filter is on; the argmax alone when greedy). <see cref="Sample(Span{float}, ReadOnlySpan{int})"/>
    /// draws from exactly these, in proportion to their probabilities; tests hold the filters to their definitions
    /// through it. The logits are modified as by Sample.
    /// </summary>
    internal int[] Candidates(Span<float> logits, ReadOnlySpan<int> context)
    {
        EnsureScratch(logits.Length);
        ApplyPenalties(logits, context, context);
        if (Options.Temperature == 0) return [TensorPrimitives.IndexOfMax(logits)];
        return _order.AsSpan(0, Filter(logits)).ToArray();
    }

    /// <summary>Temperature and softmax into _probabilities, then the filters; returns how many ranked ids survive.</summary>
    private int Filter(Span<float> logits)
    {
        TensorPrimitives.Divide(logits, Options.Temperature, logits);
        Softmax.Compute(logits, _probabilities.AsSpan(0, logits.Length));
        return RankCandidates(logits.Length);
    }

    /// <summary>
    /// Repetition penalty over <paramref name="context"/> (Hugging Face: divide a positive logit, multiply a
    /// negative one, once per distinct token), then frequency and presence penalties over
    /// <paramref name="generated"/> (OpenAI: logit −= occurrences × frequency + presence).
    /// </summary>
    private void ApplyPenalties(Span<float> logits, ReadOnlySpan<int> context, ReadOnlySpan<int> generated)
    {
        if (!HasPenalties) return;
        float repetition = Options.RepetitionPenalty;
        if (repetition != 1f)
        {
            foreach (int token in context)
                if ((uint)token < (uint)logits.Length) _occurrences[token] = 1;
            foreach (int token in context)
            {
                // The mark is cleared as the token is penalised, so each distinct token is penalised once.
                if ((uint)token >= (uint)logits.Length || _occurrences[token] == 0) continue;
                _occurrences[token] = 0;
                logits[token] = logits[token] > 0 ? logits[token] / repetition : logits[token] * repetition;
            }
        }
        if (Options.FrequencyPenalty == 0f && Options.PresencePenalty == 0f) return;
        foreach (int token in generated)
            if ((uint)token < (uint)logits.Length) _occurrences[token]++;
        foreach (int token in generated)
        {
            if ((uint)token >= (uint)logits.Length || _occurrences[token] == 0) continue;
            int occurrences = _occurrences[token];
            _occurrences[token] = 0;
            logits[token] = logits[token] - occurrences * Options.FrequencyPenalty - Options.PresencePenalty;
        }
    }

    /// <summary>
    /// Orders token ids by probability, most likely first (ties: lower id first), in _order, and returns how many
    /// of them survive top-k, top-p and min-p.
    /// </summary>
    private int RankCandidates(int vocab)
    {
        bool filtered = Options.TopK > 0 || Options.TopP < 1f || Options.MinP > 0f;
        var order = _order.AsSpan(0, vocab);
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!filtered) return vocab;

        var p = _probabilities;
        SortByProbability(p.AsSpan(0, vocab), order);

        int count = Options.TopK > 0 ? Math.Min(Options.TopK, vocab) : vocab;
        if (Options.TopP < 1f)
        {
            // The nucleus is taken from what top-k kept, renormalised: the smallest prefix holding TopP of that mass.
            float kept = 0;
            for (int i = 0; i < count; i++) kept += p[order[i]];
            float target = Options.TopP * kept, mass = 0;
            for (int i = 0; i < count; i++)
            {
                mass += p[order[i]];
                if (mass >= target) { count = i + 1; break; }
            }
        }
        if (Options.MinP > 0f)
        {
            // A ratio to the top probability, so renormalising after top-k/top-p would not change it.
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
        _occurrences = new int[vocab];
        _sortKeys = new float[vocab];
    }

    /// <summary>
    /// Sorts ids by descending probability, equal probabilities by ascending id: a total order, so which of several
    /// equally likely tokens top-k keeps does not depend on the sort algorithm (Span.Sort is not stable).
    /// </summary>
    private void SortByProbability(ReadOnlySpan<float> p, Span<int> order)
    {
        var keys = _sortKeys.AsSpan(0, p.Length);
        for (int i = 0; i < keys.Length; i++) keys[i] = -p[i];
        keys.Sort(order);
        for (int start = 0; start < keys.Length;)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            if (end - start > 1) order[start..end].Sort();
            start = end;
        }
    }
}
