using System.Globalization;
using System.Text.RegularExpressions;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Cli.Research;

/// <summary>How one tensor present in both files compares.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ShapeA">Its shape in A.</param>
/// <param name="ShapeB">Its shape in B.</param>
/// <param name="MaxAbsDifference">max |a − b| (NaN where the shapes differ; +∞ where one side is NaN or infinite and the other is not).</param>
/// <param name="MaxAbsB">max |b|: the scale the difference is relative to.</param>
/// <param name="RelativeError">max |a − b| / max |b| (+∞ when B is all zeros and A is not).</param>
/// <param name="Diverges">The shapes differ or the relative error exceeds the tolerance.</param>
public sealed record TensorComparison(string Name, IReadOnlyList<int> ShapeA, IReadOnlyList<int> ShapeB, double MaxAbsDifference, double MaxAbsB,
    double RelativeError, bool Diverges)
{
    /// <summary>Whether the two shapes are the same.</summary>
    public bool SameShape => ShapeA.SequenceEqual(ShapeB);
}

/// <summary>
/// Compares two activation dumps (or any two safetensors files of float tensors), tensor by tensor in A's order
/// (a dump's order is the model's op order), and finds where they start to differ: the first diverging tensor, and
/// the first diverging layer, the lowest N of <c>blk.N.*</c> with a diverging tensor.
/// </summary>
public sealed partial record ActivationDiff(double Tolerance, IReadOnlyList<TensorComparison> Tensors, IReadOnlyList<string> OnlyInA,
    IReadOnlyList<string> OnlyInB, IReadOnlyDictionary<string, string> MetadataA, IReadOnlyDictionary<string, string> MetadataB)
{
    /// <summary>The default tolerance on the relative error.</summary>
    public const double DefaultTolerance = 1e-4;

    /// <summary>Whether anything differs: a diverging tensor, a shape mismatch, or a tensor only one file has.</summary>
    public bool Diverges => Tensors.Any(t => t.Diverges) || OnlyInA.Count > 0 || OnlyInB.Count > 0;

    /// <summary>The first tensor in A's order that diverges, if any.</summary>
    public TensorComparison? FirstDivergingTensor => Tensors.FirstOrDefault(t => t.Diverges);

    /// <summary>The lowest layer N with a diverging <c>blk.N.*</c> tensor, if any.</summary>
    public int? FirstDivergingLayer => Tensors.Where(t => t.Diverges).Select(t => Layer(t.Name)).Where(l => l is not null).Min();

    /// <summary>The first diverging tensor of <see cref="FirstDivergingLayer"/> in op order.</summary>
    public TensorComparison? FirstDivergingTensorOfLayer => FirstDivergingLayer is { } layer
        ? Tensors.First(t => t.Diverges && Layer(t.Name) == layer)
        : null;

    /// <summary>The layer of a <c>blk.N.*</c> name; null for other names.</summary>
    public static int? Layer(string name)
    {
        var match = LayerName().Match(name);
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int layer) ? layer : null;
    }

    /// <summary>Opens and compares two safetensors files.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The tolerance is negative or not finite.</exception>
    /// <exception cref="Transformer.Loader.ModelFormatException">A file is not valid safetensors, or a tensor is not a float dtype.</exception>
    public static ActivationDiff Compare(string pathA, string pathB, double tolerance = DefaultTolerance)
    {
        if (!(tolerance >= 0) || !double.IsFinite(tolerance))
            throw new ArgumentOutOfRangeException(nameof(tolerance), $"--tolerance must be a finite number ≥ 0, got {tolerance.ToString(CultureInfo.InvariantCulture)}");
        using var a = SafetensorsFile.Open(pathA);
        using var b = SafetensorsFile.Open(pathB);
        var comparisons = new List<TensorComparison>();
        var onlyInA = new List<string>();
        foreach (var tensorA in a.Tensors)
        {
            if (!b.TryGet(tensorA.Name, out var tensorB))
            {
                onlyInA.Add(tensorA.Name);
                continue;
            }
            comparisons.Add(CompareTensors(tensorA, tensorB, tolerance, pathA, pathB));
        }
        var onlyInB = b.Tensors.Select(t => t.Name).Where(name => !a.TryGet(name, out _)).ToList();
        return new ActivationDiff(tolerance, comparisons, onlyInA, onlyInB, a.Metadata, b.Metadata);
    }

    private static TensorComparison CompareTensors(HostTensor a, HostTensor b, double tolerance, string pathA, string pathB)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            return new TensorComparison(a.Name, a.Shape, b.Shape, double.NaN, double.NaN, double.NaN, Diverges: true);
        float[] x = Floats(a, pathA), y = Floats(b, pathB);
        double maxDifference = 0, maxB = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double difference = Difference(x[i], y[i]);
            if (difference > maxDifference) maxDifference = difference;
            if (float.IsFinite(y[i])) maxB = Math.Max(maxB, Math.Abs((double)y[i]));
        }
        double relative = maxDifference == 0 ? 0 : maxB == 0 ? double.PositiveInfinity : maxDifference / maxB;
        return new TensorComparison(a.Name, a.Shape, b.Shape, maxDifference, maxB, relative, Diverges: relative > tolerance);
    }

    // Equal non-finite values (the same infinity, NaN against NaN) agree; any other non-finite pair differs without bound.
    private static double Difference(float a, float b)
    {
        if (float.IsFinite(a) && float.IsFinite(b)) return Math.Abs((double)a - b);
        bool same = (float.IsNaN(a) && float.IsNaN(b)) || a == b;
        return same ? 0 : double.PositiveInfinity;
    }

    private static float[] Floats(HostTensor tensor, string path) => tensor.Type is DType.F32 or DType.F16 or DType.BF16
        ? tensor.ToFloat32()
        : throw new Transformer.Loader.ModelFormatException($"{path}: tensor '{tensor.Name}' is {DTypes.Name(tensor.Type)}; diff compares F32, F16 and BF16 tensors");

    [GeneratedRegex(@"^blk\.(\d+)\.")]
    private static partial Regex LayerName();
}
