using Transformer.Runtime.Distillation;
using Transformer.Tests.Shared;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary><c>teacher export</c> on the bundled stories260K: the records read back through the API against the model's own logits.</summary>
public sealed class TeacherCommandTests
{
    private static string BundledModel => Path.Combine(RepositoryPaths.Root, "models", "stories260K");

    [Fact]
    public async Task Export_holds_the_teachers_top_k_tail_and_logsumexp_at_every_position()
    {
        string data = StoryText(), folder = TempFolder();
        try
        {
            var result = await CliRun.InvokeAsync("teacher", "export", "--model", BundledModel, "--data", data, "--k", "8", "--ctx", "32",
                "--out", folder, "--shard-positions", "50", "--threads", "2");
            Assert.True(result.ExitCode == 0, result.StandardError);
            var manifest = TeacherExport.ReadManifest(folder);
            // 6k + 16 bytes a position with k = 8, plus each shard's safetensors header (well under 1 KB).
            long bytes = manifest.Shards.Sum(s => new FileInfo(Path.Combine(folder, s.File)).Length);
            Assert.InRange(bytes, 64 * manifest.Count, 64 * manifest.Count + 1024L * manifest.Shards.Count);
            var records = TeacherExport.Read(folder).ToList();
            using var model = LanguageModel.Load(BundledModel, new LanguageModelOptions { Threads = 2 });
            var tokens = model.Encode(File.ReadAllText(data));
            int windows = tokens.Count / 32;
            Assert.Equal(windows * 31, records.Count);
            Assert.Equal(records.Count, manifest.Count);
            Assert.True(manifest.Shards.Count > 1, "several shards of 50 positions");

            // Window 1, as the export runs it: BOS first, then the text's tokens.
            var window = tokens.Skip(32).Take(32).ToArray();
            window[0] = model.Tokenizer.BosId!.Value;
            float[] logits = model.Logits(window);
            for (int p = 0; p < 31; p++)
            {
                var r = records[31 + p];
                Assert.Equal(window[p], r.InputId);
                Assert.Equal(window[p + 1], r.TargetId);
                var row = logits.AsSpan(p * 512, 512);
                Assert.Equal(row.IndexOf(row.ToArray().Max()), r.TopIds[0]);
                double mass = 0;
                for (int j = 0; j < 8; j++)
                {
                    if (j > 0) Assert.True(r.TopLogProbabilities[j] <= r.TopLogProbabilities[j - 1]);
                    // log-probability + logsumexp recovers the raw logit (to the f16 rounding of the log-probability).
                    Assert.True(Math.Abs((float)r.TopLogProbabilities[j] + r.LogSumExp - row[r.TopIds[j]]) <= 1e-2, $"position {p}, entry {j}");
                    mass += Math.Exp((float)r.TopLogProbabilities[j]);
                }
                Assert.True(Math.Abs(1 - mass - r.TailMass) <= 1e-2, $"tail {r.TailMass}, top mass {mass}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Top_p_pads_each_row_after_the_cut_and_a_bad_k_names_the_vocabulary()
    {
        string data = StoryText(), folder = TempFolder();
        try
        {
            var result = await CliRun.InvokeAsync("teacher", "export", "--model", BundledModel, "--data", data, "--k", "64", "--top-p", "0.5",
                "--ctx", "32", "--out", folder, "--threads", "2");
            Assert.True(result.ExitCode == 0, result.StandardError);
            foreach (var r in TeacherExport.Read(folder))
            {
                int kept = r.TopIds.Count(id => id >= 0);
                Assert.True(kept >= 1 && kept < 64, $"{kept} entries kept");
                Assert.All(r.TopIds.Skip(kept), id => Assert.Equal(-1, id));
                Assert.True(Half.IsNegativeInfinity(r.TopLogProbabilities[^1]));
                // The cut stops at the first entry that reaches 0.5: without it the mass is still short of 0.5.
                double before = r.TopLogProbabilities.Take(kept - 1).Sum(lp => Math.Exp((float)lp));
                Assert.True(before < 0.5 + 1e-2, $"mass before the last kept entry {before}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        var bad = await CliRun.InvokeAsync("teacher", "export", "--model", BundledModel, "--data", data, "--k", "600", "--ctx", "32", "--out", folder);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("k must be in [1, 512] (the vocabulary), got 600", bad.StandardError);
    }

    private static string TempFolder() => Path.Combine(Path.GetTempPath(), $"teacher-{Guid.NewGuid():N}");

    private static string StoryText()
    {
        string path = Path.Combine(Path.GetTempPath(), "transformer-teacher-story.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she saw a big red ball in the park. ", 6)));
        return path;
    }
}
