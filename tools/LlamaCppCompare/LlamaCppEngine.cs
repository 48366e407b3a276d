using System.Diagnostics;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace LlamaCppCompare;

/// <summary>
/// Runs the <see cref="BenchProtocol"/> on llama.cpp's native CPU build, through LLamaSharp's low-level
/// batch API (no sampler, no tokenizer: the same token ids as our engine get).
/// </summary>
public static class LlamaCppEngine
{
    private static readonly StringBuilder s_log = new();
    private static bool s_configured;

    /// <summary>
    /// Routes llama.cpp's log into a buffer (echoed to stderr when <paramref name="verbose"/>) so a load
    /// failure can show why. Must run before anything loads the native library.
    /// </summary>
    public static void ConfigureLogging(bool verbose)
    {
        if (s_configured) return;
        s_configured = true;
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            lock (s_log) s_log.Append(message);
            if (verbose) Console.Error.Write(message);
        });
    }

    /// <summary>The llama.cpp log so far.</summary>
    public static string Log
    {
        get { lock (s_log) return s_log.ToString(); }
    }

    /// <summary>Loads the GGUF at <paramref name="path"/> and measures it.</summary>
    /// <exception cref="InvalidOperationException">llama.cpp refused the file or a decode failed; the message carries the log's tail.</exception>
    public static EngineResult Run(string path, BenchProtocol protocol, int vocab)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)Math.Max(512, protocol.Positions),
            BatchSize = (uint)Math.Max(512, protocol.PromptTokens),
            UBatchSize = (uint)Math.Max(512, protocol.PromptTokens),
            Threads = protocol.Threads,
            BatchThreads = protocol.Threads,
            GpuLayerCount = 0,
        };
        long start = Stopwatch.GetTimestamp();
        LLamaWeights weights;
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp could not load {path}: {e.Message}\n--- llama.cpp log (tail) ---\n{Tail(Log, 40)}", e);
        }
        using var _ = weights;
        double loadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        int[] ids = protocol.TokenIds(vocab);
        var batch = new LLamaBatch();

        // Warm-up: page in the mapped weights, size the compute buffers, start the thread pool.
        float[] logits;
        using (var context = weights.CreateContext(parameters))
        {
            logits = Prefill(context, batch, ids, protocol.PromptTokens, keepLogits: true)!;
            DecodeSteps(context, batch, ids, protocol.PromptTokens, BenchProtocol.WarmUpDecodeSteps);
        }

        double bestPrefill = double.PositiveInfinity, bestDecode = double.PositiveInfinity;
        for (int rep = 0; rep < protocol.Repetitions; rep++)
        {
            // A fresh context per repetition: an empty KV cache, as in the first run.
            using var context = weights.CreateContext(parameters);
            long t = Stopwatch.GetTimestamp();
            Prefill(context, batch, ids, protocol.PromptTokens, keepLogits: false);
            bestPrefill = Math.Min(bestPrefill, Stopwatch.GetElapsedTime(t).TotalSeconds);
            t = Stopwatch.GetTimestamp();
            DecodeSteps(context, batch, ids, protocol.PromptTokens, protocol.GenTokens);
            bestDecode = Math.Min(bestDecode, Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        return new EngineResult("llama.cpp Q8_0", $"LLamaSharp 0.30.0 native CPU build; {SystemInfo()}", loadSeconds,
            protocol.PromptTokens / bestPrefill, protocol.GenTokens / bestDecode, logits);
    }

    private static float[]? Prefill(LLamaContext context, LLamaBatch batch, int[] ids, int count, bool keepLogits)
    {
        batch.Clear();
        // Logits only for the last prompt token, as a generating application asks for.
        for (int i = 0; i < count; i++) batch.Add(ids[i], i, LLamaSeqId.Zero, i == count - 1);
        Check(context.NativeHandle.Decode(batch), "prefill");
        return keepLogits ? context.NativeHandle.GetLogitsIth(count - 1).ToArray() : null;
    }

    private static void DecodeSteps(LLamaContext context, LLamaBatch batch, int[] ids, int startPosition, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            int position = startPosition + i;
            batch.Clear();
            batch.Add(ids[position], position, LLamaSeqId.Zero, true);
            Check(context.NativeHandle.Decode(batch), "decode");
        }
    }

    private static void Check(DecodeResult result, string what)
    {
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama.cpp {what} failed: {result}\n--- llama.cpp log (tail) ---\n{Tail(Log, 40)}");
    }

    private static string SystemInfo()
    {
        // llama.cpp's own summary of the CPU features its ggml build uses.
        string info = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "";
        return info.Trim();
    }

    private static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n').TakeLast(lines));
}
