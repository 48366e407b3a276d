using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using LLama;
using LLama.Common;
using LLama.Native;
using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Runtime.Synthetic;
using Transformer.Tokenizers.Gguf;

namespace GgufFixtures;

/// <summary>
/// llama.cpp on the GGUF files <c>transformer quantize --format gguf</c> writes from stories260K (safetensors +
/// tok512.model): per type, the SHA-256 of the file (the test rebuilds it with the CLI and checks it is this very
/// file) and llama.cpp's logits on it. And, per type, the tensors llama.cpp's own quantizer (<c>llama_model_quantize</c>,
/// pure) writes from the F32 GGUF of the synthetic tiny-llama fixture: ggml type and SHA-256 of the bytes of each.
/// Not from stories260K: its 172-wide rows are not whole blocks, and llama.cpp's quantizer refuses them ("no tensor
/// type fallback is defined for type q8_0"); our writer stores them F16, as llama.cpp's converter does.
/// </summary>
internal static class QuantizeCommandFixture
{
    /// <summary>Tokens of the logits comparison (BOS first; the ids the quantize tests use).</summary>
    public static readonly int[] TokenIds = [1, 403, 407, 261, 378, 13, 400, 50, 9, 511];

    private static readonly (string Name, GgufMatrixTypes Types, LLamaFtype Ftype)[] s_types =
    [
        ("q8_0", GgufMatrixTypes.Uniform(GgmlType.Q8_0), LLamaFtype.MOSTLY_Q8_0),
        ("q4_0", GgufMatrixTypes.Uniform(GgmlType.Q4_0), LLamaFtype.MOSTLY_Q4_0),
        ("q4_k_m", GgufMatrixTypes.Q4_K_M, LLamaFtype.MOSTLY_Q4_K_M),
    ];

    /// <summary>The fixture's JSON, for stories260K in <paramref name="sharedModels"/>/stories260K.</summary>
    public static string Write(string sharedModels, string work)
    {
        string dir = Path.Combine(sharedModels, "stories260K");
        string tokenizer = Path.Combine(dir, "tok512.model");
        var files = new JsonArray();
        using (var model = ModelFiles.Open(Path.Combine(dir, "model.safetensors")))
        {
            void AddTokenizer(GgufWriter w) => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(tokenizer), tokenizer);
            foreach (var (name, type, _) in s_types)
            {
                // What GgufQuantizedWriter (the CLI) writes: the same writer, the same tokenizer call.
                string ours = Path.Combine(work, $"stories260K-{name}.gguf");
                GgufModelWriter.Write(ours, model.Config, model.Weights, type, AddTokenizer);
                files.Add(new JsonObject
                {
                    ["type"] = name,
                    ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ours))),
                    ["logits"] = new JsonArray([.. Logits(ours, TokenIds).Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)v)]))]),
                });
            }
        }
        var tiny = Fixture.All.Single(f => f.Name == "tiny-llama");
        string tinyF32 = Path.Combine(work, "quantizer-tiny-llama-f32.gguf");
        using (var weights = new SyntheticWeightSource(tiny.Config, tiny.Seed))
            GgufModelWriter.Write(tinyF32, tiny.Config, weights, GgmlType.F32, SyntheticVocabulary.Add);
        var quantizer = new JsonArray();
        // Q4_K_M is a mix, not a pure type: its bytes are checked against the tiny256-llama Q4_K_M fixture, which is
        // llama.cpp's quantizer's own output, and its logits on real Q4_K/Q6_K tensors come from KQuantFile below.
        foreach (var (name, _, ftype) in s_types.Where(t => t.Ftype != LLamaFtype.MOSTLY_Q4_K_M))
        {
            string theirs = Path.Combine(work, $"quantizer-tiny-llama-{name}.gguf");
            QuantizePure(tinyF32, theirs, ftype);
            quantizer.Add(new JsonObject { ["type"] = name, ["tensors"] = Tensors(theirs) });
        }
        return new JsonObject
        {
            ["producer"] = "tools/GgufFixtures: llama.cpp (LLamaSharp 0.30.0 native CPU) on stories260K quantized by transformer quantize --format gguf; its own quantizer with pure = true for the tensor bytes",
            ["token_ids"] = new JsonArray([.. TokenIds.Select(t => (JsonNode)t)]),
            ["files"] = files,
            ["quantizer_model"] = tiny.Name,
            ["quantizer_seed"] = tiny.Seed,
            ["quantizer"] = quantizer,
            ["k_quant_file"] = KQuantFile(work),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>
    /// Stories260K's rows (64 and 172) are not whole super-blocks, so its Q4_K_M file holds only the fallbacks (Q5_0, Q8_0,
    /// F16). For real Q4_K and Q6_K tensors: the synthetic tiny256-llama written by our writer as Q4_K_M, each tensor's
    /// SHA-256 (the test rebuilds them) and llama.cpp's logits on that file.
    /// </summary>
    private static JsonObject KQuantFile(string work)
    {
        var tiny = Fixture.All.Single(f => f.Name == "tiny256-llama");
        string path = Path.Combine(work, "ours-tiny256-llama-q4_k_m.gguf");
        using (var weights = new SyntheticWeightSource(tiny.Config, tiny.Seed))
            GgufModelWriter.Write(path, tiny.Config, weights, GgufMatrixTypes.Q4_K_M, SyntheticVocabulary.Add);
        return new JsonObject
        {
            ["model"] = tiny.Name,
            ["seed"] = tiny.Seed,
            ["type"] = "q4_k_m",
            ["token_ids"] = new JsonArray([.. Fixture.TokenIds.Select(t => (JsonNode)t)]),
            ["tensors"] = Tensors(path),
            ["logits"] = new JsonArray([.. Logits(path, Fixture.TokenIds).Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)v)]))]),
        };
    }

    /// <summary>llama.cpp's quantizer with every tensor in the type's own blocks (no K-quant mix, no Q6_K output).</summary>
    private static void QuantizePure(string source, string destination, LLamaFtype ftype)
    {
        var parameters = LLamaModelQuantizeParams.Default();
        parameters.nthread = 1;
        parameters.ftype = ftype;
        parameters.pure = true;
        parameters.quantize_output_tensor = true;
        if (NativeApi.llama_model_quantize(source, destination, ref parameters) != 0)
            throw new InvalidOperationException($"llama.cpp could not quantize {source} to {ftype}");
    }

    private static JsonObject Tensors(string path)
    {
        var result = new JsonObject();
        using var file = GgufFile.Open(path);
        foreach (var t in file.Tensors)
            result[t.Name] = new JsonObject
            {
                ["type"] = GgmlTypes.Name(t.Type),
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(file.Data(t).Span)),
            };
        return result;
    }

    private static float[][] Logits(string path, int[] tokenIds)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = 64, BatchSize = 64, UBatchSize = 64, Threads = 1, BatchThreads = 1, GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokenIds.Length; i++) batch.Add(tokenIds[i], i, LLamaSeqId.Zero, true);
        if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp could not decode with {path}");
        return [.. Enumerable.Range(0, tokenIds.Length).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray())];
    }
}
