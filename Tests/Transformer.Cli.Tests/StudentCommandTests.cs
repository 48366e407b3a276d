using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Distillation;
using Transformer.Tests.Shared;

namespace Transformer.Cli.Tests;

/// <summary>
/// <c>student init</c> on the real stories260K teacher: the folder loads with the teacher's tokenizer and vocabulary
/// identity recorded; a teacher-cut student is exactly what <c>prune</c> writes for the same layers and widths; a random
/// one is seeded; a config with another vocabulary is refused naming both sizes.
/// </summary>
public sealed class StudentCommandTests
{
    private const int Context = 32;

    [Fact]
    public async Task A_teacher_cut_student_has_the_logits_of_the_pruned_teacher_for_the_same_choice()
    {
        string stats = Temp("stats.json"), pruned = Temp("pruned"), student = Temp("student"), config = Temp("config.json");
        try
        {
            Assert.Equal(0, (await CliRun.InvokeAsync("importance", "--model", Teacher, "--data", SharedModels.TinyStoriesExcerpt(), "--ctx", $"{Context}", "--samples", "8", "--out", stats)).ExitCode);
            // Three of five layers by BI, 129 of 172 neurons by activation, two of four GQA groups.
            var prune = await CliRun.InvokeAsync("prune", "--model", Teacher, "--out", pruned, "--target-layers", "3", "--by", "bi", "--ffn-keep", "0.75",
                "--kv-groups-keep", "0.5", "--stats", stats);
            Assert.True(prune.ExitCode == 0, prune.StandardError);
            var shape = JsonNode.Parse(File.ReadAllText(Path.Combine(Teacher, "config.json")))!.AsObject();
            (shape["num_hidden_layers"], shape["intermediate_size"], shape["num_attention_heads"], shape["num_key_value_heads"]) = (3, 129, 4, 2);
            File.WriteAllText(config, shape.ToJsonString());
            var init = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--config", config, "--init", "teacher", "--importance", stats, "--out", student);
            Assert.True(init.ExitCode == 0, init.StandardError);

            Assert.Equal(Logits(pruned), Logits(student)); // bitwise: the same cut of the same weights
            var record = Record(student);
            var s = JsonSerializer.Deserialize(File.ReadAllText(stats), Transformer.Runtime.Pruning.ImportanceJson.Default.ImportanceStatistics)!;
            int[] byBi = [.. Enumerable.Range(0, 5).OrderByDescending(l => s.Layers[l].BlockInfluence).Take(3).Order()];
            Assert.Equal(byBi, record.TeacherLayers);
            Assert.Equal("teacher", record.Init);
        }
        finally { Delete(stats, pruned, student, config); }
    }

    [Fact]
    public async Task A_tied_teacher_cut_into_an_untied_student_copies_the_embedding_into_its_classifier()
    {
        string tied = Temp("tied"), untied = Temp("untied");
        try
        {
            // Depth and widths of the preset below the teacher's, measured on the fly from calibration text.
            foreach (var (preset, folder) in new[] { ("tiny", tied), ("tiny-untied", untied) })
            {
                var r = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", preset, "--init", "teacher",
                    "--data", SharedModels.TinyStoriesExcerpt(), "--samples", "2", "--ctx", $"{Context}", "--out", folder);
                Assert.True(r.ExitCode == 0, r.StandardError);
            }
            using var files = ModelFiles.Open(untied);
            Assert.False(files.Config.TieWordEmbeddings);
            Assert.Equal(files.Weights.Get("model.embed_tokens.weight").ToFloat32(), files.Weights.Get("lm_head.weight").ToFloat32());
            Assert.Equal(Logits(tied), Logits(untied));
            Assert.Equal((2, 128), (files.Config.NumLayers, files.Config.IntermediateSize));
        }
        finally { Delete(tied, untied); }
    }

    [Fact]
    public async Task A_random_student_is_a_loadable_folder_with_the_teachers_tokenizer_and_the_same_seed_gives_the_same_weights()
    {
        string a = Temp("a"), b = Temp("b"), c = Temp("c");
        try
        {
            foreach (var (folder, seed) in new[] { (a, "11"), (b, "11"), (c, "12") })
                Assert.Equal(0, (await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", "tiny-untied", "--seed", seed, "--out", folder)).ExitCode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(c, "model.safetensors")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Teacher, "tok512.model")), File.ReadAllBytes(Path.Combine(a, "tok512.model")));
            var record = Record(a);
            Assert.Equal((512, "random", 11UL, 0.02), (record.VocabSize, record.Init, record.Seed!.Value, record.Std!.Value));
            Assert.Equal(TeacherExport.Sha256([Path.Combine(Teacher, "tok512.model")]), record.TokenizerSha256);
            var run = await CliRun.InvokeAsync("run", "--model", a, "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
            Assert.True(run.ExitCode == 0, run.StandardError);
        }
        finally { Delete(a, b, c); }
    }

    [Fact]
    public async Task Bad_student_requests_name_the_problem()
    {
        string config = Temp("config.json"), folder = Temp("never");
        try
        {
            var shape = JsonNode.Parse(File.ReadAllText(Path.Combine(Teacher, "config.json")))!.AsObject();
            shape["vocab_size"] = 32000;
            File.WriteAllText(config, shape.ToJsonString());
            var vocab = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--config", config, "--out", folder);
            Assert.Equal(1, vocab.ExitCode);
            Assert.Contains("vocab_size 32000, but the teacher's vocabulary has 512 tokens", vocab.StandardError);

            var bigger = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", "mobilellm-125m", "--init", "teacher", "--out", folder);
            Assert.Contains("the student's num_hidden_layers is 30, the teacher's 5", bigger.StandardError);
            var noStats = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", "tiny", "--init", "teacher", "--out", folder);
            Assert.Contains("needs its importance statistics", noStats.StandardError);
            var both = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", "tiny", "--config", config, "--out", folder);
            Assert.Contains("one of --preset NAME or --config FILE", both.StandardError);
            var unknown = await CliRun.InvokeAsync("student", "init", "--teacher", Teacher, "--preset", "gpt-9", "--out", folder);
            Assert.Contains("no student preset named 'gpt-9'", unknown.StandardError);
            Assert.False(Directory.Exists(folder));
        }
        finally { Delete(config, folder); }
    }

    private static string Teacher
    {
        get
        {
            SharedModels.Stories260KFile("model.safetensors");
            return Path.GetDirectoryName(SharedModels.Stories260KFile("config.json"))!;
        }
    }

    private static StudentRecord Record(string folder) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(folder, StudentRecord.FileName)), StudentRecordJsonContext.Default.StudentRecord)!;

    /// <summary>Logits of one fixed window through the folder's model.</summary>
    private static float[] Logits(string folder)
    {
        using var files = ModelFiles.Open(folder);
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        using var model = DecoderModels.Create(files.Config, files.Weights, backend);
        int[] tokens = [1, .. Enumerable.Range(0, Context - 1).Select(i => (i * 37 + 11) % files.Config.VocabSize)];
        var logits = new float[tokens.Length * files.Config.VocabSize];
        using var sequence = model.CreateSequence(Context);
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"student-{Guid.NewGuid():N}-{name}");

    private static void Delete(params string[] paths)
    {
        foreach (string p in paths)
        {
            if (Directory.Exists(p)) Directory.Delete(p, recursive: true);
            else File.Delete(p);
        }
    }
}
