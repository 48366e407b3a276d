using System.Text.Json.Serialization;

namespace Transformer.Runtime.Pruning;

/// <summary>
/// What <c>transformer importance</c> measures on calibration text, the input of <c>transformer prune</c> and
/// <c>transformer student init --from-teacher</c>. Every per-token figure is averaged over every position fed to
/// the model (all calibration windows, every row). Written as JSON (see <see cref="ImportanceJson"/>).
/// </summary>
public sealed record ImportanceStatistics
{
    /// <summary>Format version of the file.</summary>
    public int Version { get; init; } = 1;
    /// <summary>The model the figures belong to (its path).</summary>
    public required string Model { get; init; }
    /// <summary>Calibration windows run.</summary>
    public required int Samples { get; init; }
    /// <summary>Tokens per window.</summary>
    public required int Context { get; init; }
    /// <summary>Positions whose activations were accumulated.</summary>
    public required long Tokens { get; init; }
    /// <summary>Perplexity of the whole model on the windows (second half of each scored, as <c>eval ppl</c>).</summary>
    public required double Perplexity { get; init; }
    /// <summary>One entry per decoder layer, in order.</summary>
    public required IReadOnlyList<LayerImportance> Layers { get; init; }
    /// <summary>
    /// Angular distance of n-layer blocks (Gromov et al., "The Unreasonable Ineffectiveness of the Deeper Layers"):
    /// entry [n−1][l] is the mean over tokens of arccos(cos(x_l, x_{l+n}))/π, x_l being the residual stream entering
    /// layer l, for the block of layers l … l+n−1; n = 1 … 3 (shorter where the model has fewer layers).
    /// </summary>
    public required IReadOnlyList<IReadOnlyList<double>> AngularDistance { get; init; }
    /// <summary>
    /// Per hidden channel: the mean |value| of the channel in every RMSNorm output of every layer (attention and MLP
    /// inputs), Minitron's embedding-channel importance.
    /// </summary>
    public required IReadOnlyList<double> HiddenChannelMagnitude { get; init; }
    /// <summary>Spearman rank correlation between <see cref="LayerImportance.BlockInfluence"/> and <see cref="LayerImportance.PerplexityWithout"/> over layers.</summary>
    public required double BlockInfluencePerplexitySpearman { get; init; }
}

/// <summary>Figures of one decoder layer.</summary>
public sealed record LayerImportance
{
    /// <summary>ShortGPT's Block Influence: 1 − mean over tokens of cos(x_in, x_out) of the layer.</summary>
    public required double BlockInfluence { get; init; }
    /// <summary>Perplexity of the model with this layer removed (its residual passes through unchanged).</summary>
    public required double PerplexityWithout { get; init; }
    /// <summary>Per attention (query) head: mean L2 norm of its output (before o_proj) over tokens.</summary>
    public required IReadOnlyList<double> HeadOutputNorm { get; init; }
    /// <summary>Per MLP neuron: mean of its activation silu(gate)·up over tokens.</summary>
    public required IReadOnlyList<double> NeuronMean { get; init; }
    /// <summary>Per MLP neuron: L2 norm of its activation over all tokens, √Σ a² (Minitron's neuron importance).</summary>
    public required IReadOnlyList<double> NeuronL2 { get; init; }
    /// <summary>
    /// Wanda's statistic ‖X_j‖² = Σ over tokens of x_j² for every input channel j of the layer's linears, by the input
    /// they read: "attn_input" (q, k, v), "attn_output" (o), "mlp_input" (gate, up), "mlp_output" (down).
    /// </summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<double>> InputSquaredNorm { get; init; }
}

/// <summary>JSON of the statistics: snake_case names, written by a source generator (the engine publishes under NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ImportanceStatistics))]
public sealed partial class ImportanceJson : JsonSerializerContext;
