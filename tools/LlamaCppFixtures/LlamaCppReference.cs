using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;
using Transformer.Loader;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// Writes a fixture's weights as an F32 GGUF and runs llama.cpp (LLamaSharp 0.30.0's native CPU build) on
/// token ids, returning the logits after every position. Flash attention is off and the KV cache F32, so
/// llama.cpp computes in float32 throughout (with flash attention or an F16 cache, errors near 2e-3 appear).
/// </summary>
public static class LlamaCppReference
{
    private static readonly StringBuilder s_log = new();

    /// <summary>Routes llama.cpp's log into a buffer, shown when a load or decode fails. Call before anything loads.</summary>
    public static void ConfigureLogging() =>
        NativeLibraryConfig.All.WithLogCallback((_, message) => { lock (s_log) s_log.Append(message); });

    /// <summary>Writes the GGUF at <paramref name="path"/>.</summary>
    public static void WriteGguf(FixtureArchitecture arch, string path) =>
        WriteGguf(path, arch.GgufArchitecture, arch.Name, arch.AddMetadata, arch.GgufTensors().ToArray());

    /// <summary>Writes an encoder's GGUF at <paramref name="path"/> from its safetensors weights and config.json.</summary>
    public static void WriteGguf(EncoderFixture arch, IWeightSource weights, JsonElement config, string path) =>
        WriteGguf(path, arch.GgufArchitecture, arch.Name, gguf => arch.AddMetadata(gguf, config), arch.GgufTensors(weights, config).ToArray());

    private static void WriteGguf(string path, string architecture, string name, Action<GgufWriter> metadata, (string Name, long[] Dimensions, float[] Values)[] tensors)
    {
        using var gguf = new GgufWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None));
        gguf.Add("general.architecture", architecture);
        gguf.Add("general.name", $"fixture-{name}");
        gguf.Add("general.file_type", 0u); // LLAMA_FTYPE_ALL_F32
        gguf.Add("general.alignment", (uint)GgufWriter.Alignment);
        metadata(gguf);
        // No vocabulary: llama.cpp then takes the size from ARCH.vocab_size and needs no token strings.
        gguf.Add("tokenizer.ggml.model", "none");
        foreach (var (tensor, dims, _) in tensors) gguf.DeclareTensor(tensor, GgmlType.F32, dims);
        gguf.WriteHeader();
        foreach (var (tensor, _, values) in tensors) gguf.WriteTensorData(tensor, MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>
    /// Runs an encoder GGUF on one sequence in llama.cpp's embeddings mode. With <see cref="LLamaPoolingType.None"/>
    /// the result is every token's last hidden state [tokens][hidden]; with a pooling type, one row, the pooled vector.
    /// </summary>
    public static float[][] Embeddings(string path, int[] tokens, int hidden, LLamaPoolingType pooling)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)tokens.Length,
            BatchSize = (uint)tokens.Length,
            UBatchSize = (uint)tokens.Length, // a non-causal encoder sees the whole sequence in one micro-batch
            SeqMax = 1,
            Threads = 2,
            BatchThreads = 2,
            GpuLayerCount = 0,
            FlashAttention = false,
            Embeddings = true,
            PoolingType = pooling,
        };
        using var weights = Load(parameters, path);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        // llama_decode, as llama.cpp's embedding example calls it for BERT-like models (they have no KV memory).
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}\n{LogTail()}");
        float[][] rows = pooling == LLamaPoolingType.None
            ? Enumerable.Range(0, tokens.Length).Select(i => context.NativeHandle.GetEmbeddingsIth(i).ToArray()).ToArray()
            : [context.NativeHandle.GetEmbeddingsSeq(LLamaSeqId.Zero).ToArray()];
        foreach (var row in rows)
            if (row.Length != hidden) throw new InvalidOperationException($"llama.cpp returned {row.Length} features, the fixture has {hidden}");
        return rows;
    }

    private static LLamaWeights Load(ModelParams parameters, string path)
    {
        try
        {
            return LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp could not load {path}: {e.Message}\n{LogTail()}", e);
        }
    }

    /// <summary>Runs the GGUF at <paramref name="path"/> on <paramref name="tokens"/> in one batch; logits [tokens][vocab].</summary>
    public static float[][] Logits(string path, int[] tokens, int vocab, int context)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)context,
            UBatchSize = (uint)context,
            SeqMax = 1,
            Threads = 2,
            BatchThreads = 2,
            GpuLayerCount = 0,
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        using (var weights = Load(parameters, path))
        using (var context_ = weights.CreateContext(parameters))
        {
            var batch = new LLamaBatch();
            for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
            var result = context_.NativeHandle.Decode(batch);
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}\n{LogTail()}");
            var logits = new float[tokens.Length][];
            for (int i = 0; i < tokens.Length; i++)
            {
                var row = context_.NativeHandle.GetLogitsIth(i);
                if (row.Length != vocab) throw new InvalidOperationException($"llama.cpp returned {row.Length} logits, the fixture has {vocab} tokens");
                logits[i] = row.ToArray();
            }
            return logits;
        }
    }

    private static string LogTail()
    {
        lock (s_log) return "--- llama.cpp log (tail) ---\n" + string.Join('\n', s_log.ToString().Split('\n').TakeLast(30));
    }
}
