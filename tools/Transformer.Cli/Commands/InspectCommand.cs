using System.CommandLine;
using System.Globalization;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer inspect</c>: what a model file holds: architecture, configuration, parameter count, and every
/// tensor with its dtype, shape and size; then checks the shapes as run does. Float weights stay memory-mapped: only
/// the norm vectors are read.
/// </summary>
public static class InspectCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: false, $"Model: {ModelArgument.Forms}; default: the bundled {DefaultModel.Name}");
        var threads = CommonOptions.Threads();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);
        var command = new Command("inspect",
            "Show a model's architecture, configuration, parameter count and tensors, the device, CPU path and threads that would run it, and check its tensor shapes")
        {
            model, threads, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            var path = KernelOptions.Resolve(parsed.GetValue(isa));
            string modelPath = await ModelArgument.ResolveAsync(parsed.GetValue(model), context, cancellation).ConfigureAwait(false);
            using var files = ModelFiles.Open(modelPath);
            int threadCount = parsed.GetValue(threads);
            // The device, path and threads lines come first: the report proper ends with its total line.
            using (var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), threadCount))
                context.Out.WriteLine($"device: {selection.Device} ({selection.Backend.Description}); why: {selection.Reason}");
            context.Out.WriteLine($"cpu path: {CpuIsaSelection.Describe(path)}; supported: {string.Join(", ", CpuIsaSupport.Supported.Select(CpuIsaSupport.Name))}");
            context.Out.WriteLine($"threads: {ThreadsLine(threadCount)}");
            Write(context.Out, files);
            CheckShapes(files);
            context.Out.WriteLine("check: every tensor run loads is present with the shape the config implies");
            return 0;
        });
        return command;
    }

    /// <summary>How many CPU worker threads run would use, and why: <c>2 (every core)</c> or <c>1 (--threads 1)</c>.</summary>
    public static string ThreadsLine(int threads)
    {
        int effective = new CpuBackendOptions { Threads = threads }.EffectiveThreads;
        return threads == 0 ? $"{effective} (every core; --threads N to change)" : $"{effective} (--threads {threads})";
    }

    /// <summary>
    /// Looks the weights up exactly as run loads them (every tensor the config implies, with its shape; pre-quantized
    /// pairs included), on a CPU backend where float weights stay memory-mapped, so nothing large is copied.
    /// </summary>
    private static void CheckShapes(ModelFiles files)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        using var model = DecoderModels.Create(files.Config, files.Weights, backend);
    }

    /// <summary>Writes the report of an opened model.</summary>
    public static void Write(TextWriter output, ModelFiles files)
    {
        var c = files.Config;
        var tensors = files.Weights.Tensors;
        long parameters = tensors.Sum(t => t.ElementCount);
        long bytes = tensors.Sum(t => (long)t.Data.Length);

        output.WriteLine($"model: {files.Weights.Description}");
        output.WriteLine($"format: {files.Format}");
        output.WriteLine($"architecture: {c.Architecture}");
        output.WriteLine("config:");
        foreach (var (name, value) in ConfigFields(c)) output.WriteLine($"  {name}: {value}");
        output.WriteLine($"parameters: {Count(parameters)}");
        output.WriteLine($"tensors: {Count(tensors.Count)}");

        int nameWidth = tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max();
        int shapeWidth = tensors.Select(t => Shape(t).Length).DefaultIfEmpty(0).Max();
        foreach (var t in tensors)
            output.WriteLine($"  {t.Name.PadRight(nameWidth)}  {DTypes.Name(t.Type),-4}  {Shape(t).PadRight(shapeWidth)}  {Count(t.Data.Length),12} bytes");
        output.WriteLine($"total: {Count(tensors.Count)} tensors, {Count(parameters)} parameters, {Count(bytes)} bytes");
    }

    /// <summary>The configuration under Hugging Face config.json names.</summary>
    public static IEnumerable<(string Name, string Value)> ConfigFields(ModelConfig c)
    {
        yield return ("hidden_size", Count(c.HiddenSize));
        yield return ("intermediate_size", Count(c.IntermediateSize));
        yield return ("num_hidden_layers", Count(c.NumLayers));
        yield return ("num_attention_heads", Count(c.NumHeads));
        yield return ("num_key_value_heads", Count(c.NumKvHeads));
        yield return ("head_dim", Count(c.HeadDim));
        yield return ("vocab_size", Count(c.VocabSize));
        yield return ("max_position_embeddings", Count(c.MaxPositions));
        yield return ("rms_norm_eps", c.RmsNormEps.ToString("R", CultureInfo.InvariantCulture));
        yield return ("rope_theta", c.RopeTheta.ToString("R", CultureInfo.InvariantCulture));
        yield return ("rope_scaling", c.RopeScaling is { } s
            ? string.Create(CultureInfo.InvariantCulture,
                $"llama3 factor={s.Factor} low_freq_factor={s.LowFrequencyFactor} high_freq_factor={s.HighFrequencyFactor} original_max_position_embeddings={s.OriginalMaxPositions}")
            : "none");
        yield return ("rope_style", c.RopeStyle.ToString());
        yield return ("tie_word_embeddings", Flag(c.TieWordEmbeddings));
        yield return ("attention_bias", Flag(c.AttentionBias));
        yield return ("mlp_bias", Flag(c.MlpBias));
        yield return ("sliding_window", c.SlidingWindow is { } window ? Count(window) : "none");
        yield return ("bos_token_id", c.BosTokenId?.ToString(CultureInfo.InvariantCulture) ?? "none");
        yield return ("eos_token_id", c.EosTokenIds.Count == 0 ? "none" : string.Join(", ", c.EosTokenIds));
    }

    private static string Shape(HostTensor t) => "[" + string.Join(", ", t.Shape) + "]";
    private static string Flag(bool value) => value ? "true" : "false";
    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
