using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlamaCppCompare;

/// <summary>
/// The results of one preset or model file (<paramref name="subject"/>, e.g. "preset smollm2-135m" or "model x.gguf"):
/// llama.cpp as the baseline, our engine's rows as ratios to it, with their logits agreement.
/// </summary>
public sealed class ComparisonReport(string subject, BenchProtocol protocol, EngineResult baseline, IReadOnlyList<EngineResult> ours, int vocab)
{
    /// <summary>Prints a table: one row per engine with tok/s and, for ours, the ratio to llama.cpp.</summary>
    public void PrintTable(TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"{subject}: prompt {protocol.PromptTokens} tokens, decode {protocol.GenTokens} tokens, {protocol.Threads} threads, best of {protocol.Repetitions} after a warm-up");
        output.WriteLine(string.Create(inv, $"{"engine",-16} {"load s",7} {"prefill tok/s",14} {"decode tok/s",13} {"prefill ×",10} {"decode ×",9} {"logits vs llama.cpp",50}"));
        Row(output, baseline, isBaseline: true);
        foreach (var result in ours) Row(output, result, isBaseline: false);
        output.WriteLine($"  llama.cpp: {baseline.Detail}");
        foreach (var result in ours) output.WriteLine($"  {result.Engine}: {result.Detail}");
        output.WriteLine($"  logits: cosine and llama.cpp's top-1 rank after the prompt; top-1 agreement and mean KL(llama.cpp || ours) over all {protocol.PromptTokens} prompt positions");
    }

    /// <summary>Prints a JSON object with the figures, the ratios and the logits agreement.</summary>
    public void PrintJson(TextWriter output)
    {
        var json = new
        {
            subject,
            prompt_tokens = protocol.PromptTokens,
            gen_tokens = protocol.GenTokens,
            threads = protocol.Threads,
            repetitions = protocol.Repetitions,
            llama_cpp = Entry(baseline),
            ours = ours.Select(r => new
            {
                entry = Entry(r),
                prefill_ratio = r.PrefillTokensPerSecond / baseline.PrefillTokensPerSecond,
                decode_ratio = r.DecodeTokensPerSecond / baseline.DecodeTokensPerSecond,
                logits_cosine = Cosine(r.PrefillLogits, baseline.PrefillLogits),
                baseline_top1_rank = RankOfBaselineTop1(r.PrefillLogits),
                top1_agreement = Agreement(r).Top1Agreement,
                mean_kl = Agreement(r).MeanKl,
                agreement_positions = Agreement(r).Positions,
            }),
        };
        output.WriteLine(JsonSerializer.Serialize(json, s_jsonOptions));
    }

    private static readonly JsonSerializerOptions s_jsonOptions = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private static object Entry(EngineResult r) => new
    {
        engine = r.Engine,
        detail = r.Detail,
        load_s = r.LoadSeconds,
        prefill_tok_s = r.PrefillTokensPerSecond,
        decode_tok_s = r.DecodeTokensPerSecond,
    };

    private void Row(TextWriter output, EngineResult r, bool isBaseline)
    {
        var inv = CultureInfo.InvariantCulture;
        string prefillRatio = isBaseline ? "1.00" : (r.PrefillTokensPerSecond / baseline.PrefillTokensPerSecond).ToString("F2", inv);
        string decodeRatio = isBaseline ? "1.00" : (r.DecodeTokensPerSecond / baseline.DecodeTokensPerSecond).ToString("F2", inv);
        string agreement = isBaseline ? "-" : string.Create(inv,
            $"cos {Cosine(r.PrefillLogits, baseline.PrefillLogits):F4}, rank {RankOfBaselineTop1(r.PrefillLogits)}, top1 {Agreement(r).Top1Agreement:P1}, KL {Agreement(r).MeanKl:E2}");
        output.WriteLine(string.Create(inv, $"{r.Engine,-16} {r.LoadSeconds,7:F1} {r.PrefillTokensPerSecond,14:F1} {r.DecodeTokensPerSecond,13:F1} {prefillRatio,10} {decodeRatio,9} {agreement,50}"));
    }

    private LogitsAgreement Agreement(EngineResult r) => LogitsAgreement.Measure(baseline.SequenceLogits, r.SequenceLogits, vocab);

    private static double Cosine(float[] a, float[] b) => a.Length == b.Length ? TensorPrimitives.CosineSimilarity(a, b) : double.NaN;

    /// <summary>
    /// Where llama.cpp's most likely token ranks in <paramref name="logits"/> (1: the same top-1). Random
    /// weights give flat logits with near ties, so int8 rounding can swap the top two: a rank of 2 or 3
    /// with a cosine near 1 still means the same model; a large rank means it is not.
    /// </summary>
    private int RankOfBaselineTop1(float[] logits)
    {
        int token = TensorPrimitives.IndexOfMax(baseline.PrefillLogits);
        if (logits.Length != baseline.PrefillLogits.Length) return -1;
        return 1 + logits.Count(v => v > logits[token]);
    }
}
