using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Devices;
using Transformer.Cli.Bench;
using Transformer.Cli.Pruning;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Distillation;
using Transformer.Runtime.Evaluation;
using Transformer.Runtime.Pruning;
using Transformer.Tokenizers;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer student init</c>: a student model for distilling a teacher, as a Hugging Face folder with the
/// teacher's tokenizer: a preset shape (or a config file) initialised randomly (N(0, 0.02²), seeded) or cut from the
/// teacher by importance (the layers of highest Block Influence, the widths of largest activation).
/// </summary>
public static class StudentCommand
{
    private const string Random = "random", Teacher = "teacher";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context) =>
        new("student", "Student models for distillation") { Init(context) };

    private static Command Init(CliContext context)
    {
        var teacher = new Option<string>("--teacher") { Description = "Teacher: a Hugging Face folder of the Llama family, whose tokenizer the student gets", Required = true, HelpName = "T" };
        var preset = new Option<string?>("--preset") { Description = $"Student shape: {string.Join(", ", StudentPresets.Names)}", HelpName = "NAME" };
        var config = new Option<string?>("--config") { Description = "Student shape as a config.json (its vocab_size must be the teacher's)", HelpName = "FILE" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the student", Required = true, HelpName = "DIR" };
        var init = new Option<string>("--init") { Description = "Initial weights: random (normal, std 0.02) or teacher (cut from the teacher by importance)", DefaultValueFactory = _ => Random, HelpName = "random|teacher" };
        init.AcceptOnlyFromAmong(Random, Teacher);
        var seed = NumberOptions.Int("--seed", ["-s"], "Seed of a random initialisation", defaultValue: 0, min: 0);
        var importance = new Option<string?>("--importance") { Description = "Statistics from `transformer importance` on the teacher (for --init teacher)", HelpName = "stats.json" };
        var data = new Option<string?>("--data") { Description = "Calibration text to measure the teacher's importance on, when no --importance is given", HelpName = "CAL.txt" };
        var samples = NumberOptions.Int("--samples", [], "Calibration windows for --data", defaultValue: 128, min: 1);
        var ctx = NumberOptions.Int("--ctx", ["-c"], "Tokens per calibration window", defaultValue: 256, min: 4);
        var threads = CommonOptions.Threads();
        var command = new Command("init", "Create a student folder (preset or config shape, random or teacher-cut weights) with the teacher's tokenizer")
        {
            teacher, preset, config, output, init, seed, importance, data, samples, ctx, threads,
        };
        CommandAction.Set(command, context, (parsed, cancellation) =>
        {
            string teacherPath = parsed.GetValue(teacher)!;
            using var files = ModelFiles.Open(teacherPath);
            ModelPruner.CheckSupported(files.Config);
            string tokenizerFile = TokenizerLocator.Find(files.Directory);
            string shape, studentJson;
            string? presetName = parsed.GetValue(preset), configPath = parsed.GetValue(config);
            if ((presetName is null) == (configPath is null)) throw new ArgumentException("give the student's shape as one of --preset NAME or --config FILE");
            if (presetName is not null)
            {
                shape = presetName;
                studentJson = StudentConfig.FromPreset(presetName, files.Config);
            }
            else
            {
                if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: no such config file", configPath);
                shape = configPath!;
                studentJson = StudentConfig.FromFile(File.ReadAllText(configPath!), configPath!, files.Config);
            }
            var student = HuggingFaceConfig.Parse(studentJson, shape);
            var record = new StudentRecord
            {
                Teacher = teacherPath,
                TeacherSha256 = TeacherExport.Sha256(TeacherCommand.ModelFiles(files.Directory)),
                TokenizerSha256 = TeacherExport.Sha256([tokenizerFile]),
                VocabSize = files.Config.VocabSize,
                Shape = shape,
                Init = parsed.GetValue(init)!,
                Parameters = 0,
            };

            IReadOnlyList<HostTensor> tensors;
            string outJson;
            if (record.Init == Random)
            {
                ulong s = (ulong)parsed.GetValue(seed);
                tensors = RandomInit.Create(student, s);
                outJson = studentJson;
                record = record with { Seed = s, Std = RandomInit.DefaultStd };
            }
            else
            {
                ImportanceStatistics? statistics = parsed.GetValue(importance) is { } statsPath ? StatisticsFile.Read(statsPath)
                    : TeacherInit.NeedsStatistics(files.Config, student) && parsed.GetValue(data) is { } dataPath
                        ? Measure(context, files, dataPath, parsed.GetValue(samples), parsed.GetValue(ctx), parsed.GetValue(threads), cancellation)
                        : null;
                var plan = TeacherInit.Plan(files.Config, student, statistics);
                var (cut, cutTensors) = TeacherInit.Cut(files.Config, files.Weights, student, plan, statistics);
                tensors = cutTensors;
                outJson = TeacherInit.ConfigJson(File.ReadAllText(Path.Combine(files.Directory, HuggingFaceConfig.FileName)), files.Config, cut, plan.Layers);
                record = record with { TeacherLayers = plan.Layers };
            }
            long parameters = tensors.Sum(t => t.ElementCount);
            record = record with { Parameters = parameters };
            string directory = parsed.GetValue(output)!;
            StudentFolder.Write(directory, outJson, tensors, files.Directory, record);
            var written = HuggingFaceConfig.Parse(outJson, directory);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {directory}: {shape}, {record.Init} init{(record.TeacherLayers is { } kept ? $" (teacher layers {string.Join(",", kept)})" : $" (seed {record.Seed}, std {record.Std})")}; {written.NumLayers} layers, hidden {written.HiddenSize}, ffn {written.IntermediateSize}, heads {written.NumHeads}/{written.NumKvHeads} kv, vocab {written.VocabSize}{(written.TieWordEmbeddings ? " tied" : " untied")}; {parameters} parameters"));
            return Task.FromResult(0);
        });
        return command;
    }

    // The teacher's importance on calibration text, as `transformer importance` measures it.
    private static ImportanceStatistics Measure(CliContext context, ModelFiles files, string dataPath, int samples, int window, int threads, CancellationToken cancellation)
    {
        using var selection = BackendSelection.Create(DeviceOption.Cpu, null, threads);
        var text = TokenizerLocator.Load(files.Directory, null, files.Config.VocabSize);
        int bos = text.BosId ?? throw new ArgumentException("the tokenizer has no BOS token, which every calibration window starts with");
        var chunks = new TextChunks { Context = window, Stride = window };
        var tokens = CalibrationText.Read(dataPath, text, samples * window);
        chunks.Validate(tokens.Count, files.Config.MaxPositions);
        return ImportanceAnalysis.Measure(files.Directory, files.Config, files.Weights, selection.Backend, new ModelOptions(), tokens, bos, chunks,
            new ImportanceCommand.StageProgress(context.Error), cancellation);
    }
}
