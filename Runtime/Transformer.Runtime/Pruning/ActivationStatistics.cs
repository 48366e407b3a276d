using System.Numerics.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Pruning;

/// <summary>
/// Accumulates the forward-only pruning signals from a model's named activations (<see cref="ModelOptions.ActivationObserver"/>):
/// the residual stream at every layer boundary (Block Influence, angular distance), head outputs, MLP activations and the
/// inputs of every linear (Wanda). Memory is the sums (a few floats per channel) plus one step's residual streams, whatever
/// the amount of text. Understands the activation names of the Llama family's forward pass.
/// </summary>
public sealed class ActivationStatistics
{
    /// <summary>Longest block whose angular distance is measured (Gromov et al. report n up to a fraction of the depth).</summary>
    public const int MaxBlock = 3;

    /// <summary>Input names of <see cref="LayerImportance.InputSquaredNorm"/>.</summary>
    public const string AttentionInput = "attn_input", AttentionOutput = "attn_output", MlpInput = "mlp_input", MlpOutput = "mlp_output";

    private readonly ModelConfig _config;
    private readonly float[]?[] _boundary; // residual stream entering layer l (l = NumLayers: leaving the last), this step
    private readonly double[][] _cosine;   // [n−1][l]: Σ cos(x_l, x_{l+n})
    private readonly double[][] _angle;    // [n−1][l]: Σ arccos(cos)/π
    private readonly double[][] _headNorm, _neuronSum, _neuronSquares, _attnInput, _attnOutput, _mlpInput;
    private readonly double[] _hiddenMagnitude;
    private readonly long[] _tokens; // rows seen per layer

    /// <summary>Empty sums for a model of <paramref name="config"/>'s shape.</summary>
    public ActivationStatistics(ModelConfig config)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        int layers = config.NumLayers;
        _boundary = new float[]?[layers + 1];
        int blocks = Math.Min(MaxBlock, layers);
        _cosine = Jagged(blocks, layers);
        _angle = Jagged(blocks, layers);
        _headNorm = Jagged(layers, config.NumHeads);
        _neuronSum = Jagged(layers, config.IntermediateSize);
        _neuronSquares = Jagged(layers, config.IntermediateSize);
        _attnInput = Jagged(layers, config.HiddenSize);
        _attnOutput = Jagged(layers, config.QueryWidth);
        _mlpInput = Jagged(layers, config.HiddenSize);
        _hiddenMagnitude = new double[config.HiddenSize];
        _tokens = new long[layers];
    }

    private static double[][] Jagged(int outer, int inner) => Enumerable.Range(0, outer).Select(_ => new double[inner]).ToArray();

    /// <summary>Positions accumulated (those that passed through the last layer).</summary>
    public long Tokens => _tokens.Length == 0 ? 0 : _tokens[^1];

    /// <summary>The observer to put in <see cref="ModelOptions.ActivationObserver"/>.</summary>
    public void Observe(string name, int startPosition, int rows, int columns, ReadOnlySpan<float> values)
    {
        if (name == "token_embd") { Keep(0, values); return; }
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return;
        int dot = name.IndexOf('.', 4);
        int layer = int.Parse(name.AsSpan(4, dot - 4), System.Globalization.CultureInfo.InvariantCulture);
        switch (name.AsSpan(dot + 1))
        {
            case "attn_norm":
                AddSquares(_attnInput[layer], values, rows);
                AddMagnitudes(values, rows);
                break;
            case "attn_out":
                AddSquares(_attnOutput[layer], values, rows);
                AddHeadNorms(_headNorm[layer], values, rows);
                break;
            case "ffn_norm":
                AddSquares(_mlpInput[layer], values, rows);
                AddMagnitudes(values, rows);
                break;
            case "ffn_act":
                AddSums(_neuronSum[layer], values, rows);
                AddSquares(_neuronSquares[layer], values, rows);
                break;
            case "out":
                Keep(layer + 1, values);
                AddBlockDistances(layer + 1, rows);
                _tokens[layer] += rows;
                break;
        }
    }

    private void Keep(int boundary, ReadOnlySpan<float> values)
    {
        var kept = _boundary[boundary];
        if (kept is null || kept.Length != values.Length) kept = _boundary[boundary] = new float[values.Length];
        values.CopyTo(kept);
    }

    // Each block of n layers ending at this boundary: cos between its input and its output, row by row.
    private void AddBlockDistances(int end, int rows)
    {
        int hidden = _config.HiddenSize;
        var output = _boundary[end]!;
        for (int n = 1; n <= _cosine.Length && end - n >= 0; n++)
        {
            var input = _boundary[end - n];
            if (input is null || input.Length != output.Length)
                throw new InvalidOperationException($"layer {end - 1}'s output arrived without the residual stream entering layer {end - n}");
            for (int r = 0; r < rows; r++)
            {
                double cos = Math.Clamp(TensorPrimitives.CosineSimilarity(input.AsSpan(r * hidden, hidden), output.AsSpan(r * hidden, hidden)), -1f, 1f);
                _cosine[n - 1][end - n] += cos;
                _angle[n - 1][end - n] += Math.Acos(cos) / Math.PI;
            }
        }
    }

    private static void AddSquares(double[] sums, ReadOnlySpan<float> values, int rows)
    {
        int columns = sums.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            for (int j = 0; j < columns; j++) sums[j] += (double)row[j] * row[j];
        }
    }

    private static void AddSums(double[] sums, ReadOnlySpan<float> values, int rows)
    {
        int columns = sums.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            for (int j = 0; j < columns; j++) sums[j] += row[j];
        }
    }

    private void AddMagnitudes(ReadOnlySpan<float> values, int rows)
    {
        int columns = _hiddenMagnitude.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            for (int j = 0; j < columns; j++) _hiddenMagnitude[j] += Math.Abs(row[j]);
        }
    }

    private void AddHeadNorms(double[] sums, ReadOnlySpan<float> values, int rows)
    {
        int d = _config.HeadDim, width = _config.QueryWidth;
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < sums.Length; h++)
                sums[h] += TensorPrimitives.Norm(values.Slice(r * width + h * d, d));
    }

    /// <summary>
    /// The figures, with <paramref name="perplexityWithout"/>[l] the measured perplexity without layer l
    /// (<see cref="LayerRemoval"/>).
    /// </summary>
    public ImportanceStatistics Summarize(string model, int samples, int context, double perplexity, IReadOnlyList<double> perplexityWithout)
    {
        int layers = _config.NumLayers;
        if (perplexityWithout.Count != layers) throw new ArgumentException($"{perplexityWithout.Count} ablation perplexities for {layers} layers");
        long tokens = Tokens;
        if (tokens == 0) throw new InvalidOperationException("no activations were observed: run the model with this observer first");
        var layerFigures = new LayerImportance[layers];
        for (int l = 0; l < layers; l++)
        {
            if (_tokens[l] != tokens) throw new InvalidOperationException($"layer {l} saw {_tokens[l]} positions, the last layer {tokens}");
            layerFigures[l] = new LayerImportance
            {
                BlockInfluence = 1 - _cosine[0][l] / tokens,
                PerplexityWithout = perplexityWithout[l],
                HeadOutputNorm = Divide(_headNorm[l], tokens),
                NeuronMean = Divide(_neuronSum[l], tokens),
                NeuronL2 = [.. _neuronSquares[l].Select(Math.Sqrt)],
                InputSquaredNorm = new Dictionary<string, IReadOnlyList<double>>
                {
                    [AttentionInput] = _attnInput[l],
                    [AttentionOutput] = _attnOutput[l],
                    [MlpInput] = _mlpInput[l],
                    [MlpOutput] = _neuronSquares[l],
                },
            };
        }
        var angular = new List<IReadOnlyList<double>>();
        for (int n = 1; n <= _angle.Length; n++) angular.Add(Divide(_angle[n - 1].AsSpan(0, layers - n + 1).ToArray(), tokens));
        return new ImportanceStatistics
        {
            Model = model,
            Samples = samples,
            Context = context,
            Tokens = tokens,
            Perplexity = perplexity,
            Layers = layerFigures,
            AngularDistance = angular,
            HiddenChannelMagnitude = Divide(_hiddenMagnitude, tokens * 2L * layers),
            BlockInfluencePerplexitySpearman = Ranking.Spearman([.. layerFigures.Select(f => f.BlockInfluence)], [.. layerFigures.Select(f => f.PerplexityWithout)]),
        };
    }

    private static double[] Divide(double[] sums, long count) => [.. sums.Select(s => s / count)];
}
