using System.Text.Json;
using Transformer.Cli.Tests.Readme;
using Transformer.Distillation.Parquet;
using Transformer.Runtime.Distillation;
using Transformer.Tests.Shared;

namespace Transformer.Cli.Tests;

/// <summary>
/// <c>teacher export --format parquet</c> on the bundled stories260K: the same run exported as safetensors and as
/// Parquet holds the same values, read back through the API and through readers other than the Parquet.Net that
/// wrote it (hyparquet under node; pyarrow, what Hugging Face datasets loads Parquet with, where it is installed).
/// </summary>
public sealed class TeacherParquetTests : IAsyncLifetime
{
    private const int K = 16, Context = 32, WindowPositions = Context - 1;
    private static string BundledModel => Path.Combine(RepositoryPaths.Root, "models", "stories260K");
    private static string Tools => Path.Combine(RepositoryPaths.Root, "tools", "distill");

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"teacher-parquet-{Guid.NewGuid():N}");
    private string Safetensors => Path.Combine(_root, "safetensors");
    private string Parquet => Path.Combine(_root, "parquet");

    public async ValueTask InitializeAsync()
    {
        string data = Path.Combine(_root, "story.txt");
        Directory.CreateDirectory(_root);
        await File.WriteAllTextAsync(data, string.Concat(Enumerable.Repeat(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she saw a big red ball in the park. ", 6)));
        // --top-p 0.9 pads some rows with id -1 and log-probability -inf, which every reader must carry through.
        foreach (var (format, folder) in new[] { ("safetensors", Safetensors), ("parquet", Parquet) })
        {
            var result = await CliRun.InvokeAsync("teacher", "export", "--model", BundledModel, "--data", data, "--k", $"{K}", "--top-p", "0.9",
                "--ctx", $"{Context}", "--out", folder, "--shard-positions", "100", "--format", format, "--threads", "2");
            Assert.True(result.ExitCode == 0, result.StandardError);
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void Parquet_and_safetensors_exports_of_one_run_hold_the_same_records_and_manifest()
    {
        var expected = TeacherExport.Read(Safetensors).ToList();
        var actual = ParquetTeacherExport.Read(Parquet).ToList();
        Assert.Equal(expected.Count, actual.Count);
        Assert.Contains(expected, r => r.TopIds[^1] == -1);
        for (int i = 0; i < expected.Count; i++) AssertSame(expected[i], actual[i], i);

        var safetensors = TeacherExport.ReadManifest(Safetensors);
        var parquet = TeacherExport.ReadManifest(Parquet);
        Assert.Equal("parquet", parquet.Storage);
        Assert.Equal(safetensors with { Storage = "parquet", Shards = parquet.Shards }, parquet);
        // 100 positions a shard, rounded down to whole windows of 31.
        Assert.All(parquet.Shards.SkipLast(1), s => Assert.Equal(3 * WindowPositions, s.Count));
        Assert.All(parquet.Shards, s => Assert.EndsWith(".parquet", s.File));
    }

    [Fact]
    public async Task Hyparquet_reads_the_columns_and_values_the_engine_exported()
    {
        string script = Path.Combine(Tools, "parquet-reader", "read.mjs");
        Assert.SkipUnless(Directory.Exists(Path.Combine(Tools, "parquet-reader", "node_modules", "hyparquet")),
            "hyparquet is not installed in tools/distill/parquet-reader (run .ci/distill-prereqs.sh)");
        await AssertReaderSeesTheExport("node", script);
    }

    [Fact]
    public async Task Pyarrow_reads_the_columns_and_values_the_engine_exported()
    {
        var probe = await ChildProcess.RunAsync("/usr/bin/python3", ["-c", "import pyarrow"], _root, TimeSpan.FromMinutes(1));
        Assert.SkipUnless(probe.ExitCode == 0, "/usr/bin/python3 has no pyarrow (Debian's python3-pyarrow; .ci/distill-prereqs.sh installs it where Debian has it)");
        await AssertReaderSeesTheExport("/usr/bin/python3", Path.Combine(Tools, "read_parquet.py"));
    }

    [Fact]
    public void A_parquet_export_read_as_safetensors_or_cut_short_names_the_problem()
    {
        var wrongReader = Assert.Throws<InvalidDataException>(() => TeacherExport.Read(Parquet).ToList());
        Assert.Contains("stored as parquet; this reader reads safetensors", wrongReader.Message);

        // A manifest that claims a window more than the shard holds.
        string manifest = Path.Combine(Parquet, TeacherExport.ManifestFile);
        var original = TeacherExport.ReadManifest(Parquet);
        var first = original.Shards[0];
        var tampered = original with { Shards = [first with { Count = first.Count + WindowPositions }, .. original.Shards.Skip(1)] };
        File.WriteAllText(manifest, JsonSerializer.Serialize(tampered));
        var shortShard = Assert.Throws<InvalidDataException>(() => ParquetTeacherExport.Read(Parquet).ToList());
        Assert.Contains($"{first.File}: {first.Count / WindowPositions} rows, the manifest implies {first.Count / WindowPositions + 1} windows", shortShard.Message);
    }

    /// <summary>Runs a reader script on every shard and compares its columns and rows with the safetensors export of the same run.</summary>
    private async Task AssertReaderSeesTheExport(string program, string script)
    {
        var expected = TeacherExport.Read(Safetensors).ToList();
        var manifest = TeacherExport.ReadManifest(Parquet);
        int at = 0;
        foreach (var shard in manifest.Shards)
        {
            var result = await ChildProcess.RunAsync(program, [script, Path.Combine(Parquet, shard.File)], _root, TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.StandardOutput);
            var columns = json.RootElement.GetProperty("columns");
            Assert.Equal("list<int32>", columns.GetProperty("input_ids").GetString());
            Assert.Equal("list<int32>", columns.GetProperty("target_ids").GetString());
            Assert.Equal("list<list<int32>>", columns.GetProperty("top_ids").GetString());
            Assert.Equal("list<list<float>>", columns.GetProperty("top_logprobs").GetString());
            Assert.Equal("list<float>", columns.GetProperty("logsumexp").GetString());
            Assert.Equal("list<float>", columns.GetProperty("tail_mass").GetString());
            var rows = json.RootElement.GetProperty("rows");
            Assert.Equal(shard.Count / WindowPositions, rows.GetArrayLength());
            Assert.Equal(rows.GetArrayLength(), json.RootElement.GetProperty("num_rows").GetInt32());
            foreach (var row in rows.EnumerateArray())
            {
                var ids = row.GetProperty("top_ids").EnumerateArray().ToArray();
                var logProbabilities = row.GetProperty("top_logprobs").EnumerateArray().ToArray();
                Assert.Equal(WindowPositions, ids.Length);
                for (int p = 0; p < WindowPositions; p++, at++)
                {
                    var record = new TeacherRecord(
                        row.GetProperty("input_ids")[p].GetInt32(),
                        row.GetProperty("target_ids")[p].GetInt32(),
                        ids[p].EnumerateArray().Select(v => v.GetInt32()).ToArray(),
                        logProbabilities[p].EnumerateArray().Select(v => (Half)Number(v)).ToArray(),
                        Number(row.GetProperty("logsumexp")[p]),
                        Number(row.GetProperty("tail_mass")[p]));
                    // The stored float32 is the f16 value widened: exact, so narrowing it back must give the same bits.
                    Assert.All(logProbabilities[p].EnumerateArray(), v => Assert.Equal(Number(v), (float)(Half)Number(v)));
                    AssertSame(expected[at], record, at);
                }
            }
        }
        Assert.Equal(expected.Count, at);
    }

    /// <summary>A float the reader printed: a JSON number, or the string "-Infinity" for a padded entry.</summary>
    private static float Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() == "-Infinity" ? float.NegativeInfinity : value.GetSingle();

    private static void AssertSame(TeacherRecord expected, TeacherRecord actual, int position)
    {
        Assert.True(expected.InputId == actual.InputId && expected.TargetId == actual.TargetId, $"position {position}: ids");
        Assert.True(expected.TopIds.SequenceEqual(actual.TopIds), $"position {position}: top ids");
        Assert.True(expected.TopLogProbabilities.SequenceEqual(actual.TopLogProbabilities), $"position {position}: top log-probabilities");
        Assert.True(expected.LogSumExp.Equals(actual.LogSumExp) && expected.TailMass.Equals(actual.TailMass), $"position {position}: logsumexp, tail mass");
    }
}
