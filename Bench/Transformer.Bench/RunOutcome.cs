using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Transformer.Bench;

/// <summary>
/// Turns BenchmarkDotNet's summaries into an exit code. BenchmarkDotNet exits 0 when a benchmark
/// throws, its generated project fails to build, or validation rejects it (it only prints so), so
/// without this check a broken suite would pass a CI smoke run.
/// </summary>
public static class RunOutcome
{
    /// <summary>
    /// Prints one line per failure and a closing count, and returns 1 when any case failed or a
    /// critical validation error was reported; also 1 when <paramref name="expectBenchmarks"/> and no
    /// case ran (a filter that matches nothing, or arguments BenchmarkDotNet could not parse), else 0.
    /// </summary>
    public static int ExitCode(IEnumerable<Summary> summaries, bool expectBenchmarks, TextWriter output)
    {
        int cases = 0, failedCases = 0, validationErrors = 0;
        foreach (var summary in summaries)
        {
            foreach (var error in summary.ValidationErrors.Where(error => error.IsCritical))
            {
                validationErrors++;
                output.WriteLine($"bench: FAILED validation: {error.Message}");
            }
            foreach (var benchmarkCase in summary.BenchmarksCases)
            {
                cases++;
                var report = summary[benchmarkCase];
                if (report is { Success: true, ResultStatistics: not null }) continue;
                failedCases++;
                output.WriteLine($"bench: FAILED {Name(benchmarkCase)}: {WhyFailed(report)}");
            }
        }
        if (cases == 0 && validationErrors == 0)
        {
            if (!expectBenchmarks) return 0;
            output.WriteLine("bench: FAILED no benchmark ran (a filter that matches nothing, or arguments BenchmarkDotNet rejected; see above)");
            return 1;
        }
        output.WriteLine($"bench: {cases - failedCases} of {cases} benchmark cases ran, {failedCases} failed, {validationErrors} critical validation errors");
        return failedCases > 0 || validationErrors > 0 ? 1 : 0;
    }

    // Type.Method [Param=value, ...] with the values in full (the summary's display truncates long ones).
    private static string Name(BenchmarkCase benchmarkCase) =>
        $"{benchmarkCase.Descriptor.DisplayInfo} [{string.Join(", ", benchmarkCase.Parameters.Items.Select(p => $"{p.Name}={p.Value}"))}]";

    private static string WhyFailed(BenchmarkReport? report)
    {
        if (report is null) return "did not run (see the log above)";
        if (!report.GenerateResult.IsGenerateSuccess) return $"generating its project failed: {report.GenerateResult.GenerateException?.Message}";
        if (!report.BuildResult.IsBuildSuccess) return $"building its project failed: {report.BuildResult.ErrorMessage}";
        var errors = report.ExecuteResults.SelectMany(result => result.Errors).ToList();
        return errors.Count > 0 ? $"run failed: {string.Join(" | ", errors)}" : "run failed or measured nothing (its exception is in the log above)";
    }
}
