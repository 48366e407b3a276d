using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Cli.Eval;
using Transformer.Distillation.Parquet;
using Transformer.Runtime;
using Transformer.Runtime.Distillation;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer teacher export</c>: a teacher model's top-k next-token distributions at every position of a text,
/// as sharded safetensors or Parquet with a manifest (<see cref="TeacherExport"/>), for training a student with a KL loss.
/// </summary>
public static class TeacherCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context) =>
        new("teacher", "Teacher outputs for distillation") { Export(context) };

    private static Command Export(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Teacher model: {ModelArgument.Forms}; default: the bundled {DefaultModel.Name}");
        var data = new Option<string>("--data") { Description = "UTF-8 text file to run the teacher on", Required = true, HelpName = "FILE" };
        var k = NumberOptions.Int("--k", [], "Top entries kept per position", defaultValue: 64, min: 1);
        var topP = NumberOptions.Float("--top-p", [], "Keep only the top entries reaching probability P (at most k; the rest padded); 1 keeps k", 1f,
            p => p > 0 && p <= 1, "in (0, 1]", "P");
        var ctx = NumberOptions.Int("--ctx", ["-c"], "Tokens per window (each starts with BOS)", defaultValue: 512, min: 2);
        var output = new Option<string>("--out", "-o") { Description = "Folder for the shards and manifest.json", Required = true, HelpName = "DIR" };
        var shardPositions = NumberOptions.Int("--shard-positions", [], "Positions per shard (Parquet: rounded down to whole windows of ctx - 1)", defaultValue: 65_536, min: 1);
        var format = new Option<string>("--format")
        {
            Description = "Shard layout: safetensors (tensors per shard) or parquet (a row per window, the columns a Hugging Face dataset loads)",
            DefaultValueFactory = _ => SafetensorsTeacherShards.Instance.Name,
            HelpName = "safetensors|parquet",
        };
        format.AcceptOnlyFromAmong(SafetensorsTeacherShards.Instance.Name, ParquetTeacherShards.Instance.Name);
        var quant = KernelOptions.Quant();
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);
        var command = new Command("export", "Write the teacher's top-k log-probabilities (f16, temperature 1), logsumexp and tail mass at every position of a text")
        {
            model, data, k, topP, ctx, output, shardPositions, format, quant, tokenizer, threads, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            string dataPath = parsed.GetValue(data)!;
            if (!File.Exists(dataPath)) throw new FileNotFoundException($"{dataPath}: no such data file", dataPath);
            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            using var language = LanguageModel.Load(modelPath, new LanguageModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
            });
            int bos = language.Tokenizer.BosId ?? throw new ArgumentException("the tokenizer has no BOS token, which every window starts with");
            var tokens = language.Encode(File.ReadAllText(dataPath), addBos: true);
            int window = parsed.GetValue(ctx);
            float p = parsed.GetValue(topP);
            var settings = new TeacherExport.Settings
            {
                K = parsed.GetValue(k),
                TopP = p < 1 ? p : null,
                Context = window,
                PositionsPerShard = parsed.GetValue(shardPositions),
                Storage = parsed.GetValue(format) == ParquetTeacherShards.Instance.Name ? ParquetTeacherShards.Instance : SafetensorsTeacherShards.Instance,
                TeacherSha256 = TeacherExport.Sha256(ModelFiles(language.ModelPath)),
                TokenizerSha256 = TeacherExport.Sha256([language.TokenizerPath]),
                DataSha256 = TeacherExport.Sha256([dataPath]),
            };
            int windows = tokens.Count < window ? 0 : tokens.Count / window;
            var progress = new EvalProgress(context.Error, Math.Max(1, windows), window - 1, context.ErrorIsTerminal);
            string directory = parsed.GetValue(output)!;
            var manifest = TeacherExport.Write(language.Model, tokens, bos, settings, directory, progress, cancellation);
            long bytes = manifest.Shards.Sum(s => new FileInfo(Path.Combine(directory, s.File)).Length);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {directory}: {manifest.Count} positions in {manifest.Shards.Count} shard(s), k {manifest.K}, {bytes} bytes ({(double)bytes / manifest.Count:F1} bytes per position, {progress.TokensPerSecond(windows):F0} tok/s)"));
            return 0;
        });
        return command;
    }

    /// <summary>The files a model's identity is hashed from: the file itself, or a folder's config and weight files by name.</summary>
    internal static IEnumerable<string> ModelFiles(string modelPath) =>
        Directory.Exists(modelPath)
            ? Directory.EnumerateFiles(modelPath)
                .Where(f => Path.GetFileName(f) == "config.json" || f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal))
                .Where(f => !Path.GetFileName(f).StartsWith("tok", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
            : [modelPath];
}
