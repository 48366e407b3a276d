namespace Transformer.Runtime.Evaluation;

/// <summary>
/// The model's distribution at every scored position of an evaluation: the log-probability of the token
/// that actually follows, and (on request) the whole log-softmax row, for comparing two models.
/// </summary>
/// <param name="Window">Which window the position belongs to.</param>
/// <param name="Position">Its position within the window.</param>
/// <param name="NextToken">The token that follows it in the text.</param>
/// <param name="LogProbability">ln p(NextToken) under the model.</param>
/// <param name="LogProbabilities">ln p of every vocabulary entry (a row the scorer reuses: copy it to keep it).</param>
/// <param name="LogSumExp">ln Σ exp(logits) of the raw logits: logit = log-probability + LogSumExp.</param>
public readonly record struct ScoredPosition(int Window, int Position, int NextToken, double LogProbability, ReadOnlyMemory<float> LogProbabilities, float LogSumExp);
