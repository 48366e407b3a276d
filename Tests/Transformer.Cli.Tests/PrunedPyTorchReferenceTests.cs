using System.Security.Cryptography;
using System.Text.Json;
using Transformer.Tests.Shared;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary>
/// Folders cut by <c>prune</c> (layers, MLP neurons, GQA groups, hidden channels, all at once) are Hugging Face
/// checkpoints the PyTorch reference loads with the logits this engine computes: the fixture holds PyTorch's logits
/// on each folder (tools/reference/make_pruned_fixture.py), the test re-runs the same prune and compares.
/// </summary>
public sealed class PrunedPyTorchReferenceTests(ITestOutputHelper output)
{
    // Both run float32; 1e-4 leaves room for a different summation order (the fixture rounds to 1e-5).
    private const float Tolerance = 1e-4f;
    private static string Fixtures => Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Cli.Tests", "Fixtures", "pruned");
    private const string Regenerate = "regenerate it with /usr/bin/python3 tools/reference/make_pruned_fixture.py";

    public static TheoryData<string> Cases() => ["drop-layers", "ffn-keep", "kv-groups-keep", "hidden-keep", "all"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_pruned_folder_gives_the_pytorch_references_logits(string name)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "reference.json")));
        var fixture = reference.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        string folder = Path.Combine(Path.GetTempPath(), $"pruned-{name}-{Guid.NewGuid():N}");
        try
        {
            var args = fixture.GetProperty("args").EnumerateArray().Select(a => a.GetString() == "STATS" ? Path.Combine(Fixtures, "stats.json") : a.GetString()!);
            var result = await CliRun.InvokeAsync(["prune", "--model", SharedModels.Stories260K, "--out", folder, .. args]);
            Assert.True(result.ExitCode == 0, result.StandardError);
            // The folder PyTorch ran: if prune now writes another one, the fixture is stale, not the engine wrong.
            Assert.True(Sha256(Path.Combine(folder, "config.json")) == fixture.GetProperty("config_sha256").GetString(), $"config.json differs from the fixture's; {Regenerate}");
            Assert.True(Sha256(Path.Combine(folder, "model.safetensors")) == fixture.GetProperty("weights_sha256").GetString(), $"model.safetensors differs from the fixture's; {Regenerate}");

            using var model = LanguageModel.Load(folder, new LanguageModelOptions { Threads = 2 });
            int[] tokens = ReferenceJson.Ints(reference.RootElement.GetProperty("token_ids"));
            float[] expected = ReferenceJson.FlatFloats(fixture.GetProperty("logits"));
            float[] actual = model.Logits(tokens);
            Assert.Equal(expected.Length, actual.Length);
            float diff = 0;
            for (int i = 0; i < expected.Length; i++) diff = MathF.Max(diff, MathF.Abs(expected[i] - actual[i]));
            output.WriteLine($"{name}: {fixture.GetProperty("shape")}; max |engine - PyTorch| over {tokens.Length}x{model.Model.Config.VocabSize} logits = {diff:E3}");
            Assert.True(diff <= Tolerance, $"{name}: max |diff| {diff} exceeds {Tolerance}");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
