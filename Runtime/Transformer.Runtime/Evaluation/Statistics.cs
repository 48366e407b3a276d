namespace Transformer.Runtime.Evaluation;

/// <summary>The few summary statistics the evaluation reports.</summary>
public static class Statistics
{
    /// <summary>Mean and its standard error (sample standard deviation / √n; 0 for one value).</summary>
    public static (double Mean, double Error) MeanAndError(IReadOnlyList<double> values)
    {
        int n = values.Count;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += values[i];
        mean /= n;
        if (n < 2) return (mean, 0);
        double squares = 0;
        for (int i = 0; i < n; i++) squares += (values[i] - mean) * (values[i] - mean);
        return (mean, Math.Sqrt(squares / (n - 1) / n));
    }

    /// <summary>The <paramref name="fraction"/> quantile of sorted values, linearly interpolated between ranks.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double fraction)
    {
        if (sorted.Count == 0) throw new ArgumentException("no values");
        double rank = fraction * (sorted.Count - 1);
        int low = (int)Math.Floor(rank), high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }

    /// <summary>Pearson correlation of two equally long series (NaN when either is constant).</summary>
    public static double Correlation(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count || a.Count == 0) throw new ArgumentException($"correlation needs two equally long, non-empty series, got {a.Count} and {b.Count}");
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Count; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Count;
        mb /= b.Count;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
