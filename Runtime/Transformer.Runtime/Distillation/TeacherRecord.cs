namespace Transformer.Runtime.Distillation;

/// <summary>
/// What a teacher export stores for one position: the token fed there, the token that follows, and the teacher's
/// distribution over that next token as its top-k (ids and f16 log-probabilities at temperature 1), the
/// logsumexp of the raw logits (so logits can be recovered as log-probability + logsumexp), and the probability
/// mass beyond the k (keeping the distribution's total: plain top-k caches are biased without it).
/// 6k + 16 bytes per position on disk.
/// </summary>
public sealed record TeacherRecord(int InputId, int TargetId, int[] TopIds, Half[] TopLogProbabilities, float LogSumExp, float TailMass);
