using System.Text.Json;
using System.Text.Json.Nodes;
using GgufFixtures;
using LLama;
using LLama.Common;
using LLama.Native;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Loader.Llama2c;
using Transformer.Runtime.Synthetic;
using Transformer.Tokenizers.Gguf;

// Writes the GGUF fixtures (see tools/GgufFixtures/README.md), from the repository root:
//   dotnet run --project tools/GgufFixtures -c Release -- . ../shared/models
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: gguf-fixtures REPOSITORY_ROOT [SHARED_MODELS_DIR (holds stories260K/)]");
    return 2;
}
string outDir = Path.GetFullPath(Path.Combine(args[0], "Tests", "Transformer.Runtime.Tests", "Fixtures", "gguf"));
string tokenizerDir = Path.GetFullPath(Path.Combine(args[0], "Tests", "Transformer.Tokenizers.Tests", "Fixtures", "gguf"));
Directory.CreateDirectory(outDir);
string work = Path.Combine(Path.GetTempPath(), "gguf-fixtures-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
NativeLibraryConfig.All.WithLogCallback((level, message) => { if (level >= LLamaLogLevel.Error) Console.Error.Write(message); });

try
{
    var json = new JsonObject { ["producer"] = "tools/GgufFixtures: llama.cpp (native libraries of NuGet LLamaSharp.Backend.Cpu 0.30.0) through LLamaSharp 0.30.0, CPU, 1 thread, F32 KV cache, flash attention off" };
    var models = new JsonArray();
    foreach (var fixture in Fixture.All)
    {
        // The F32 file is not committed: tests rebuild it bit for bit with GgufModelWriter from the same synthetic weights.
        string f32 = Path.Combine(work, $"{fixture.Name}-f32.gguf");
        using (var weights = new SyntheticWeightSource(fixture.Config, fixture.Seed))
            GgufModelWriter.Write(f32, fixture.Config, weights, GgmlType.F32, SyntheticVocabulary.Add);

        var files = new JsonArray { Record(f32, "F32", fixture, committed: false) };
        foreach (var (type, name) in fixture.Quantizations)
        {
            string quantized = Path.Combine(outDir, $"{fixture.Name}-{name}.gguf");
            if (!LLamaQuantizer.Quantize(f32, quantized, type, nthread: 1, allowRequantize: false, quantizeOutputTensor: true))
                throw new InvalidOperationException($"llama.cpp could not quantize {f32} to {type}");
            var record = Record(quantized, name, fixture, committed: true);
            record["dequantized"] = DequantizedByLlamaCpp(quantized, Path.Combine(work, $"{fixture.Name}-{name}-dequantized.gguf"));
            files.Add(record);
        }
        models.Add(new JsonObject
        {
            ["name"] = fixture.Name,
            ["seed"] = fixture.Seed,
            ["preset"] = "tiny",
            ["config"] = JsonSerializer.SerializeToNode(new { fixture.Config.HiddenSize, fixture.Config.IntermediateSize, fixture.Config.NumLayers, fixture.Config.NumHeads, fixture.Config.NumKvHeads, fixture.Config.HeadDim, fixture.Config.VocabSize, fixture.Config.MaxPositions, fixture.Config.TieWordEmbeddings }),
            ["token_ids"] = new JsonArray([.. Fixture.TokenIds.Select(t => (JsonNode)t)]),
            ["files"] = files,
        });
    }
    json["models"] = models;
    File.WriteAllText(Path.Combine(outDir, "llamacpp-logits.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    File.WriteAllText(Path.Combine(outDir, "ggml-q6_k-rows.json"), Q6KRowsFixture.Write());

    if (args.Length == 2)
    {
        Directory.CreateDirectory(tokenizerDir);
        File.WriteAllText(Path.Combine(tokenizerDir, "stories260K-llamacpp-tokens.json"), StoriesTokens(Path.GetFullPath(args[1])));
        string quantizeDir = Path.GetFullPath(Path.Combine(args[0], "Tests", "Transformer.Cli.Tests", "Fixtures", "quantize-gguf"));
        Directory.CreateDirectory(quantizeDir);
        File.WriteAllText(Path.Combine(quantizeDir, "stories260K-llamacpp.json"), QuantizeCommandFixture.Write(Path.GetFullPath(args[1]), work));
    }
    Console.Error.WriteLine($"wrote fixtures to {outDir}");
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

JsonObject Record(string path, string label, Fixture fixture, bool committed)
{
    var types = new JsonObject();
    using (var file = GgufFile.Open(path))
        foreach (var t in file.Tensors) types[t.Name] = GgmlTypes.Name(t.Type);
    return new JsonObject
    {
        ["label"] = label,
        ["file"] = committed ? Path.GetFileName(path) : null,
        ["tensor_types"] = types,
        ["logits"] = new JsonArray([.. LlamaCppLogits(path, Fixture.TokenIds).Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)v)]))]),
    };
}

// llama.cpp's own dequantization (ggml's dequantize_row_* through llama_model_quantize to ALL_F32, which requantizes
// every tensor to float32), recorded per tensor as the SHA-256 of its float32 bytes plus its first values.
static JsonObject DequantizedByLlamaCpp(string quantized, string f32Path)
{
    if (!LLamaQuantizer.Quantize(quantized, f32Path, LLamaFtype.ALL_F32, nthread: 1, allowRequantize: true, quantizeOutputTensor: true))
        throw new InvalidOperationException($"llama.cpp could not dequantize {quantized}");
    var result = new JsonObject();
    using var file = GgufFile.Open(f32Path);
    foreach (var t in file.Tensors)
    {
        if (t.Type != GgmlType.F32) throw new InvalidOperationException($"{f32Path}: {t.Name} is {t.Type} after requantizing to F32");
        var bytes = file.Data(t).Span;
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
        result[t.Name] = new JsonObject
        {
            ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
            ["first"] = new JsonArray([.. values[..Math.Min(16, values.Length)].ToArray().Select(v => (JsonNode)v)]),
        };
    }
    return result;
}

static float[][] LlamaCppLogits(string path, int[] tokens)
{
    var parameters = new ModelParams(path)
    {
        ContextSize = 64, BatchSize = 64, UBatchSize = 64, Threads = 1, BatchThreads = 1, GpuLayerCount = 0,
        TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
    };
    using var weights = LLamaWeights.LoadFromFile(parameters);
    using var context = weights.CreateContext(parameters);
    var batch = new LLamaBatch();
    for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
    if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp could not decode with {path}");
    return [.. Enumerable.Range(0, tokens.Length).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray())];
}

static string StoriesTokens(string sharedModels)
{
    // stories260K as one GGUF (weights from stories260K.bin, tokenizer from tok512.model), tokenized by llama.cpp.
    string dir = Path.Combine(sharedModels, "stories260K");
    string path = Path.Combine(Path.GetTempPath(), $"stories260K-{Guid.NewGuid():N}.gguf");
    try
    {
        using (var checkpoint = Llama2cCheckpoint.Open(Path.Combine(dir, "stories260K.bin")))
        {
            string tokenizer = Path.Combine(dir, "tok512.model");
            GgufModelWriter.Write(path, checkpoint.Config, checkpoint, GgmlType.F32, w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(tokenizer), tokenizer));
        }
        using var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0 });
        using var context = weights.CreateContext(new ModelParams(path) { ContextSize = 512, GpuLayerCount = 0 });
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "reference", "tokenize.json")));
        var texts = reference.RootElement.EnumerateArray().Select(e => e.GetProperty("text").GetString()!)
            .Concat(["</s>Lily<s> and", "  leading and trailing  ", "tab\tand\nnewline", "<unk> x", "🙂🙂 ok"]).ToArray();
        var cases = new JsonArray();
        foreach (string text in texts)
            cases.Add(new JsonObject
            {
                ["text"] = text,
                // add_bos true, special true: what a chat prompt needs, and what GgufTokenizer.Encode(text, addBos: true) does.
                ["ids"] = new JsonArray([.. context.NativeHandle.Tokenize(text, true, true, System.Text.Encoding.UTF8).Select(t => (JsonNode)(int)t)]),
            });
        return new JsonObject
        {
            ["producer"] = "tools/GgufFixtures: llama.cpp's tokenizer (LLamaSharp 0.30.0, llama_tokenize with add_special and parse_special) on stories260K written as GGUF with tok512.model's pieces",
            ["cases"] = cases,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
    finally
    {
        File.Delete(path);
    }
}
