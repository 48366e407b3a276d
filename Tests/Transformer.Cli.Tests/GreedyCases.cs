using System.Text.Json;
using Transformer.Loader.Gguf;
using Transformer.Loader.Llama2c;
using Transformer.Tokenizers.Gguf;

namespace Transformer.Cli.Tests;

/// <summary>The four greedy continuations llama2.c's run printed for stories260K (reference/greedy.json).</summary>
public static class GreedyCases
{
    public static JsonElement Case(int index) =>
        ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"))[index];

    /// <summary>run.c's output as bytes: what the CLI must print.</summary>
    public static byte[] PrintedBytes(JsonElement greedyCase) =>
        System.Text.Encoding.UTF8.GetBytes(greedyCase.GetProperty("run_c_printed_text").GetString()!);

    /// <summary>
    /// The model argument for a form: the folder (its llama2.c .bin is picked), the .bin file, or the converted
    /// safetensors file (config.json beside it), or one GGUF file converted from the .bin and tok512.model (weights and
    /// tokenizer in one file, written once per test run).
    /// </summary>
    public static string ModelPath(string form) => form switch
    {
        "folder" => SharedModels.Stories260K,
        "bin" => SharedModels.Stories260KFile("stories260K.bin"),
        "safetensors" => SharedModels.Stories260KFile("model.safetensors"),
        "gguf" => Stories260KGguf.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(form)),
    };

    private static readonly Lazy<string> Stories260KGguf = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), "transformer-cli-tests-gguf", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "stories260K.gguf"), tokenizer = SharedModels.Stories260KFile("tok512.model");
        using var checkpoint = Llama2cCheckpoint.Open(SharedModels.Stories260KFile("stories260K.bin"));
        GgufModelWriter.Write(path, checkpoint.Config, checkpoint, GgmlType.F32, w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(tokenizer), tokenizer));
        return path;
    });
}
