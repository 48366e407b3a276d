using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Transformer.Kernels.Cpu.Isa;

namespace LlamaCppCompare;

/// <summary>
/// llama.cpp's native CPU build, driven through LLamaSharp's low-level batch API (no sampler, no
/// tokenizer: the same token ids as our engine get).
/// </summary>
public sealed class LlamaCppEngine : IBenchEngine
{
    private static readonly StringBuilder s_log = new();
    private static bool s_loggingConfigured;

    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;
    private readonly BenchProtocol _protocol;
    private readonly int[] _ids;
    private readonly LLamaBatch _batch = new();
    private readonly string _path;
    private readonly int _vocab;

    /// <summary>Loads the GGUF at <paramref name="path"/>: CPU only, threads as the protocol says, context and batch 512.</summary>
    /// <exception cref="InvalidOperationException">llama.cpp refused the file; the message carries its log's tail.</exception>
    public LlamaCppEngine(string path, BenchProtocol protocol, int vocab, string fileType = "Q8_0")
    {
        Name = $"llama.cpp {fileType}";
        _protocol = protocol;
        _path = path;
        _vocab = vocab;
        _ids = protocol.TokenIds(vocab);
        _parameters = new ModelParams(path)
        {
            ContextSize = (uint)Math.Max(512, protocol.Positions),
            BatchSize = (uint)Math.Max(512, protocol.PromptTokens),
            UBatchSize = (uint)Math.Max(512, protocol.PromptTokens),
            Threads = protocol.Threads,
            BatchThreads = protocol.Threads,
            GpuLayerCount = 0,
        };
        long start = Stopwatch.GetTimestamp();
        try
        {
            _weights = LLamaWeights.LoadFromFile(_parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp could not load {path}: {e.Message}\n--- llama.cpp log (tail) ---\n{LogTail()}", e);
        }
        LoadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        // llama.cpp's own summary of the CPU features its ggml build uses.
        string info = Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "";
        Detail = $"LLamaSharp 0.30.0 native CPU build; {info.Trim()}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Detail { get; }

    /// <inheritdoc/>
    public double LoadSeconds { get; }

    /// <summary>
    /// Routes llama.cpp's log into a buffer (echoed to stderr when <paramref name="verbose"/>) so a load
    /// failure can show why. Must run before anything loads the native library.
    /// </summary>
    public static void ConfigureLogging(bool verbose)
    {
        if (s_loggingConfigured) return;
        s_loggingConfigured = true;
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            lock (s_log) s_log.Append(message);
            if (verbose) Console.Error.Write(message);
        });
    }

    /// <summary>
    /// Loads llama.cpp's CPU build for <paramref name="isa"/>'s instruction set (LLamaSharp ships noavx, avx, avx2 and
    /// avx512 builds) instead of the best this CPU runs. Must run before anything loads the native library.
    /// </summary>
    public static void UseBuild(CpuIsa isa) => NativeLibraryConfig.All.WithAvx(isa switch
    {
        CpuIsa.Avx2 => AvxLevel.Avx2,
        CpuIsa.Avx512 => AvxLevel.Avx512,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "llama.cpp has CPU builds for avx2 and avx512"),
    });

    /// <inheritdoc/>
    public float[] WarmUp()
    {
        // Pages in the mapped weights, sizes the compute buffers, starts the thread pool.
        using var context = _weights.CreateContext(_parameters);
        var logits = Prefill(context, keepLogits: true)!;
        DecodeSteps(context, BenchProtocol.WarmUpDecodeSteps);
        return logits;
    }

    /// <inheritdoc/>
    public float[] SequenceLogits(int count)
    {
        using var context = _weights.CreateContext(_parameters);
        _batch.Clear();
        for (int i = 0; i < count; i++) _batch.Add(_ids[i], i, LLamaSeqId.Zero, true);
        Check(context.NativeHandle.Decode(_batch), "prefill with every position's logits");
        var logits = new float[(long)count * _vocab];
        for (int i = 0; i < count; i++) context.NativeHandle.GetLogitsIth(i).CopyTo(logits.AsSpan(i * _vocab, _vocab));
        return logits;
    }

    /// <inheritdoc/>
    public (double PrefillSeconds, double DecodeSeconds) RunOnce()
    {
        // A fresh context per repetition: an empty KV cache, as in the first run.
        using var context = _weights.CreateContext(_parameters);
        long t = Stopwatch.GetTimestamp();
        Prefill(context, keepLogits: false);
        double prefill = Stopwatch.GetElapsedTime(t).TotalSeconds;
        t = Stopwatch.GetTimestamp();
        DecodeSteps(context, _protocol.GenTokens);
        return (prefill, Stopwatch.GetElapsedTime(t).TotalSeconds);
    }

    private static GGMLType KvType(Transformer.Kernels.Backend.KvDType type) =>
        type == Transformer.Kernels.Backend.KvDType.F16 ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32;

    /// <inheritdoc/>
    public double BatchedDecodeSeconds(int sequences)
    {
        // One context for every sequence, each with its own KV cells (KVUnified false: llama.cpp's note says
        // that is faster when sequences share no prefix), room for each sequence's positions.
        var parameters = new ModelParams(_path)
        {
            ContextSize = (uint)(sequences * _protocol.Positions),
            BatchSize = (uint)Math.Max(512, Math.Max(sequences, _protocol.PromptTokens)),
            UBatchSize = (uint)Math.Max(512, Math.Max(sequences, _protocol.PromptTokens)),
            SeqMax = (uint)sequences,
            KVUnified = false,
            TypeK = KvType(_protocol.KvType),
            TypeV = KvType(_protocol.KvType),
            Threads = _protocol.Threads,
            BatchThreads = _protocol.Threads,
            GpuLayerCount = 0,
        };
        using var context = _weights.CreateContext(parameters);
        var ids = Enumerable.Range(0, sequences).Select(s => _protocol.TokenIds(_vocab, s)).ToArray();
        for (int s = 0; s < sequences; s++)
        {
            _batch.Clear();
            for (int i = 0; i < _protocol.PromptTokens; i++) _batch.Add(ids[s][i], i, (LLamaSeqId)s, i == _protocol.PromptTokens - 1);
            Check(context.NativeHandle.Decode(_batch), "batched prefill");
        }
        long t = Stopwatch.GetTimestamp();
        for (int step = 0; step < _protocol.GenTokens; step++)
        {
            int position = _protocol.PromptTokens + step;
            _batch.Clear();
            for (int s = 0; s < sequences; s++) _batch.Add(ids[s][position], position, (LLamaSeqId)s, true);
            Check(context.NativeHandle.Decode(_batch), "batched decode");
        }
        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Releases the model.</summary>
    public void Dispose() => _weights.Dispose();

    private float[]? Prefill(LLamaContext context, bool keepLogits)
    {
        int count = _protocol.PromptTokens;
        _batch.Clear();
        // Logits only for the last prompt token, as a generating application asks for.
        for (int i = 0; i < count; i++) _batch.Add(_ids[i], i, LLamaSeqId.Zero, i == count - 1);
        Check(context.NativeHandle.Decode(_batch), "prefill");
        return keepLogits ? context.NativeHandle.GetLogitsIth(count - 1).ToArray() : null;
    }

    private void DecodeSteps(LLamaContext context, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            int position = _protocol.PromptTokens + i;
            _batch.Clear();
            _batch.Add(_ids[position], position, LLamaSeqId.Zero, true);
            Check(context.NativeHandle.Decode(_batch), "decode");
        }
    }

    private static void Check(DecodeResult result, string what)
    {
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama.cpp {what} failed: {result}\n--- llama.cpp log (tail) ---\n{LogTail()}");
    }

    private static string LogTail()
    {
        string log;
        lock (s_log) log = s_log.ToString();
        return string.Join('\n', log.Split('\n').TakeLast(40));
    }
}
