using System.Globalization;
using System.Text.Json;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Pruning;
using Transformer.Tests.Shared;

namespace Transformer.Cli.Tests;

/// <summary>
/// <c>importance</c> and <c>prune</c> on the real stories260K (a Hugging Face folder in ../shared): each pruned folder
/// loads, and its logits equal the original model's computed another way (a removed layer as a layer whose output
/// projections are zero, so it adds nothing to the residual stream; removed neurons and heads as zero columns of the
/// projection they feed). The statistics are checked against activations observed independently.
/// </summary>
public sealed class PruneCommandTests
{
    private const int Context = 32;

    [Fact]
    public async Task A_dropped_layer_gives_the_logits_of_the_original_with_that_layer_adding_nothing()
    {
        string folder = TempFolder();
        try
        {
            var result = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--drop-layers", "1,3");
            Assert.True(result.ExitCode == 0, result.StandardError);
            var pruned = Logits(folder);
            var reference = Logits(Model, (name, m) => Zeroed(name, m, layers: [1, 3]));
            Assert.Equal(reference, pruned); // bitwise: x + 0 is x
            var config = HuggingFaceConfig.Load(Path.Combine(folder, "config.json"));
            Assert.Equal(3, config.NumLayers);
            Assert.True(File.Exists(Path.Combine(folder, "tok512.model")), "the tokenizer is copied");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public async Task An_ffn_cut_gives_the_logits_of_the_original_with_the_dropped_neurons_feeding_nothing()
    {
        string folder = TempFolder();
        try
        {
            var result = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--ffn-keep", "0.75", "--ffn-by", "magnitude");
            Assert.True(result.ExitCode == 0, result.StandardError);
            using var files = ModelFiles.Open(Model);
            int keep = (int)Math.Round(0.75 * files.Config.IntermediateSize, MidpointRounding.AwayFromZero);
            var kept = Enumerable.Range(0, files.Config.NumLayers).Select(l => TopIndices(ModelPruner.NeuronWeightNorms(files.Weights, l), keep)).ToArray();
            Assert.Equal(keep, HuggingFaceConfig.Load(Path.Combine(folder, "config.json")).IntermediateSize);
            var reference = Logits(Model, (name, m) => ZeroedColumns(name, m, "mlp.down_proj.weight", l => kept[l]));
            AssertClose(reference, Logits(folder), 2e-4f);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public async Task Importance_figures_match_independently_observed_activations_and_kv_groups_prune_to_the_masked_original()
    {
        string data = StoryText(), folder = TempFolder(), stats = Path.Combine(Path.GetTempPath(), $"stats-{Guid.NewGuid():N}.json");
        try
        {
            var result = await CliRun.InvokeAsync("importance", "--model", Model, "--data", data, "--ctx", $"{Context}", "--samples", "1000", "--out", stats, "--threads", "2");
            Assert.True(result.ExitCode == 0, result.StandardError);
            var s = JsonSerializer.Deserialize(File.ReadAllText(stats), ImportanceJson.Default.ImportanceStatistics)!;
            // More samples than the text holds: every whole window of the text, as eval ppl cuts it.
            int textTokens = Transformer.Tokenizers.TokenizerLocator.Load(Model, null, 512).Encode(File.ReadAllText(data), addBos: true).Count;
            Assert.Equal(textTokens / Context, s.Samples);
            Assert.True(s.Samples >= 3, $"{s.Samples} windows");
            Assert.Equal((long)s.Samples * (Context - 1), s.Tokens);

            // The same windows through an observer written here: BI and the FFN L2 of every layer.
            var (blockInfluence, neuronL2) = Observed(Model, data, s.Samples);
            for (int l = 0; l < s.Layers.Count; l++)
            {
                Assert.True(Math.Abs(blockInfluence[l] - s.Layers[l].BlockInfluence) < 1e-5, $"layer {l}: BI {s.Layers[l].BlockInfluence}, observed {blockInfluence[l]}");
                for (int i = 0; i < neuronL2[l].Length; i++) Assert.True(Math.Abs(neuronL2[l][i] - s.Layers[l].NeuronL2[i]) <= 1e-4 * (1 + neuronL2[l][i]));
            }

            // PPL as eval ppl computes it on the same windows, and without a layer as eval ppl of the dropped folder.
            var ppl = await CliRun.InvokeAsync("eval", "ppl", "--model", Model, "--data", data, "--ctx", $"{Context}", "--json");
            Assert.True(Math.Abs(JsonDocument.Parse(ppl.Output).RootElement.GetProperty("ppl").GetDouble() - s.Perplexity) < 1e-4 * s.Perplexity);
            Assert.Equal(0, (await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--drop-layers", "2")).ExitCode);
            var without = await CliRun.InvokeAsync("eval", "ppl", "--model", folder, "--data", data, "--ctx", $"{Context}", "--json");
            Assert.True(Math.Abs(JsonDocument.Parse(without.Output).RootElement.GetProperty("ppl").GetDouble() - s.Layers[2].PerplexityWithout) < 1e-4 * s.Perplexity);
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{Ranking.Spearman([.. s.Layers.Select(x => x.BlockInfluence)], [.. s.Layers.Select(x => x.PerplexityWithout)]):F4}"), result.Output);
            Directory.Delete(folder, recursive: true);

            // Half the GQA groups: the original with the dropped groups' query heads feeding nothing into o_proj.
            Assert.Equal(0, (await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--kv-groups-keep", "0.5", "--stats", stats)).ExitCode);
            using var files = ModelFiles.Open(Model);
            var c = files.Config;
            int perGroup = c.NumHeads / c.NumKvHeads;
            var keptColumns = Enumerable.Range(0, c.NumLayers).Select(l =>
            {
                var heads = s.Layers[l].HeadOutputNorm;
                var groups = TopIndices([.. Enumerable.Range(0, c.NumKvHeads).Select(g => Enumerable.Range(g * perGroup, perGroup).Sum(h => heads[h]))], c.NumKvHeads / 2);
                return groups.SelectMany(g => Enumerable.Range(g * perGroup * c.HeadDim, perGroup * c.HeadDim)).ToArray();
            }).ToArray();
            var prunedConfig = HuggingFaceConfig.Load(Path.Combine(folder, "config.json"));
            Assert.Equal((c.NumHeads / 2, c.NumKvHeads / 2, c.HeadDim), (prunedConfig.NumHeads, prunedConfig.NumKvHeads, prunedConfig.HeadDim));
            AssertClose(Logits(Model, (name, m) => ZeroedColumns(name, m, "self_attn.o_proj.weight", l => keptColumns[l])), Logits(folder), 2e-4f);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            File.Delete(stats);
        }
    }

    [Fact]
    public async Task Wanda_and_magnitude_masks_zero_the_lowest_scored_half_of_every_row()
    {
        string data = StoryText(), stats = Path.Combine(Path.GetTempPath(), $"stats-{Guid.NewGuid():N}.json"), wanda = TempFolder(), magnitude = TempFolder();
        try
        {
            Assert.Equal(0, (await CliRun.InvokeAsync("importance", "--model", Model, "--data", data, "--ctx", $"{Context}", "--samples", "2", "--out", stats)).ExitCode);
            Assert.Equal(0, (await CliRun.InvokeAsync("prune", "--model", Model, "--out", wanda, "--wanda", "0.5", "--stats", stats)).ExitCode);
            Assert.Equal(0, (await CliRun.InvokeAsync("prune", "--model", Model, "--out", magnitude, "--magnitude", "0.5")).ExitCode);
            var s = JsonSerializer.Deserialize(File.ReadAllText(stats), ImportanceJson.Default.ImportanceStatistics)!;
            using var original = ModelFiles.Open(Model);
            using var wandaFiles = ModelFiles.Open(wanda);
            using var magnitudeFiles = ModelFiles.Open(magnitude);
            foreach (var (name, input) in new[] { ("self_attn.q_proj.weight", "attn_input"), ("self_attn.o_proj.weight", "attn_output"), ("mlp.up_proj.weight", "mlp_input"), ("mlp.down_proj.weight", "mlp_output") })
            {
                for (int l = 0; l < original.Config.NumLayers; l++)
                {
                    string tensor = $"model.layers.{l}.{name}";
                    var w = original.Weights.Get(tensor);
                    var norms = s.Layers[l].InputSquaredNorm[input].Select(Math.Sqrt).ToArray();
                    AssertMasked(w, wandaFiles.Weights.Get(tensor), norms);
                    AssertMasked(w, magnitudeFiles.Weights.Get(tensor), [.. norms.Select(_ => 1.0)]);
                }
            }
        }
        finally
        {
            Directory.Delete(wanda, recursive: true);
            Directory.Delete(magnitude, recursive: true);
            File.Delete(stats);
        }
    }

    [Fact]
    public async Task Bad_prune_requests_name_the_problem()
    {
        string folder = TempFolder();
        var missingStats = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--wanda", "0.5");
        Assert.Equal(1, missingStats.ExitCode);
        Assert.Contains("--wanda needs the importance statistics", missingStats.StandardError);
        var outside = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--drop-layers", "9");
        Assert.Contains("layer 9 is outside [0, 5)", outside.StandardError);
        var everything = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--drop-layers", "0,1,2,3,4");
        Assert.Contains("leaves none", everything.StandardError);
        var ratio = await CliRun.InvokeAsync("prune", "--model", Model, "--out", folder, "--ffn-keep", "1.5");
        Assert.Equal(2, ratio.ExitCode);
        Assert.Contains("--ffn-keep must be in (0, 1]", ratio.StandardError);
        Assert.False(Directory.Exists(folder));
    }

    // Every row: exactly half its columns zero, and no zeroed weight scores above a kept one (score |W_ij|·norm_j).
    private static void AssertMasked(HostTensor original, HostTensor masked, double[] norms)
    {
        int rows = original.Shape[0], columns = original.Shape[1];
        float[] w = original.ToFloat32(), m = masked.ToFloat32();
        for (int r = 0; r < rows; r++)
        {
            double lowestKept = double.MaxValue, highestDropped = 0;
            int zeros = 0;
            for (int j = 0; j < columns; j++)
            {
                double score = Math.Abs(w[r * columns + j]) * norms[j];
                if (m[r * columns + j] == 0) { zeros++; highestDropped = Math.Max(highestDropped, score); }
                else { Assert.Equal(w[r * columns + j], m[r * columns + j]); lowestKept = Math.Min(lowestKept, score); }
            }
            Assert.Equal(columns / 2, zeros);
            Assert.True(highestDropped <= lowestKept, $"{original.Name} row {r}: dropped {highestDropped} above kept {lowestKept}");
        }
    }

    private static string Model
    {
        get
        {
            string config = SharedModels.Stories260KFile("config.json");
            SharedModels.Stories260KFile("model.safetensors");
            return Path.GetDirectoryName(config)!;
        }
    }

    private static int[] TopIndices(IReadOnlyList<double> values, int keep) =>
        [.. Enumerable.Range(0, values.Count).OrderByDescending(i => values[i]).ThenBy(i => i).Take(keep).Order()];

    private static HostMatrixEdit? Zeroed(string name, HostTensor tensor, int[] layers) =>
        layers.Any(l => name == $"model.layers.{l}.self_attn.o_proj.weight" || name == $"model.layers.{l}.mlp.down_proj.weight")
            ? (_, _) => 0f
            : null;

    private static HostMatrixEdit? ZeroedColumns(string name, HostTensor tensor, string suffix, Func<int, int[]> keptColumns)
    {
        if (!name.EndsWith("." + suffix, StringComparison.Ordinal)) return null;
        int layer = int.Parse(name.Split('.')[2], CultureInfo.InvariantCulture);
        var kept = keptColumns(layer).ToHashSet();
        return (column, value) => kept.Contains(column) ? value : 0f;
    }

    private delegate float HostMatrixEdit(int column, float value);

    /// <summary>Logits of the first window of the story text, through the model of <paramref name="folder"/> with tensors edited.</summary>
    private static float[] Logits(string folder, Func<string, HostTensor, HostMatrixEdit?>? edit = null)
    {
        using var files = ModelFiles.Open(folder);
        var tensors = files.Weights.Tensors.Select(t =>
        {
            if (edit?.Invoke(t.Name, t) is not { } change) return t;
            float[] v = t.ToFloat32();
            int columns = t.Shape[^1];
            for (int i = 0; i < v.Length; i++) v[i] = change(i % columns, v[i]);
            return HostTensor.FromFloats(t.Name, v, [.. t.Shape]);
        }).ToList();
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        using var model = DecoderModels.Create(files.Config, new TensorList(folder, tensors), backend);
        int[] tokens = [1, .. Enumerable.Range(0, Context - 1).Select(i => (i * 37 + 11) % files.Config.VocabSize)];
        var logits = new float[tokens.Length * files.Config.VocabSize];
        using var sequence = model.CreateSequence(Context);
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    /// <summary>BI per layer and L2 per neuron of the first <paramref name="windows"/> windows, from an observer of this test's own.</summary>
    private static (double[] BlockInfluence, double[][] NeuronL2) Observed(string folder, string data, int windows)
    {
        var hidden = new Dictionary<string, float[]>();
        var cosines = new double[5];
        var squares = new double[5][];
        long rows = 0;
        void Observe(string name, int start, int r, int columns, ReadOnlySpan<float> values)
        {
            if (name.EndsWith(".ffn_act", StringComparison.Ordinal))
            {
                int l = int.Parse(name.Split('.')[1], CultureInfo.InvariantCulture);
                squares[l] ??= new double[columns];
                for (int i = 0; i < values.Length; i++) squares[l][i % columns] += values[i] * (double)values[i];
                return;
            }
            if (name != "token_embd" && !name.EndsWith(".out", StringComparison.Ordinal)) return;
            int boundary = name == "token_embd" ? 0 : int.Parse(name.Split('.')[1], CultureInfo.InvariantCulture) + 1;
            hidden[$"{boundary}"] = values.ToArray();
            if (boundary == 0) return;
            var before = hidden[$"{boundary - 1}"];
            for (int row = 0; row < r; row++)
            {
                double dot = 0, a = 0, b = 0;
                for (int i = 0; i < columns; i++)
                {
                    double x = before[row * columns + i], y = values[row * columns + i];
                    dot += x * y; a += x * x; b += y * y;
                }
                cosines[boundary - 1] += dot / Math.Sqrt(a * b);
            }
            if (boundary == 5) rows += r;
        }
        using var files = ModelFiles.Open(folder);
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        using var model = DecoderModels.Create(files.Config, files.Weights, backend, new ModelOptions { ActivationObserver = Observe });
        var tokenizer = Transformer.Tokenizers.TokenizerLocator.Load(folder, null, files.Config.VocabSize);
        var tokens = tokenizer.Encode(File.ReadAllText(data), addBos: true);
        using var sequence = model.CreateSequence(Context);
        var logits = new float[(Context - 1) * files.Config.VocabSize];
        for (int w = 0; w < windows; w++)
        {
            int[] window = [.. tokens.Skip(w * Context).Take(Context - 1)];
            window[0] = 1;
            sequence.Truncate(0);
            sequence.AppendAll(window, logits);
        }
        return ([.. cosines.Select(c => 1 - c / rows)], [.. squares.Select(s => s.Select(Math.Sqrt).ToArray())]);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"logit {i}: {actual[i]}, expected {expected[i]}");
    }

    private static string TempFolder() => Path.Combine(Path.GetTempPath(), $"prune-{Guid.NewGuid():N}");

    // One line ending in a newline: read line by line (importance) or whole (eval ppl), it tokenizes the same.
    private static string StoryText()
    {
        string path = Path.Combine(Path.GetTempPath(), "transformer-prune-story.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she saw a big red ball in the park. ", 6)) + "\n");
        return path;
    }
}
