using System.Text.Json;

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
    /// safetensors file (config.json beside it).
    /// </summary>
    public static string ModelPath(string form) => form switch
    {
        "folder" => SharedModels.Stories260K,
        "bin" => SharedModels.Stories260KFile("stories260K.bin"),
        "safetensors" => SharedModels.Stories260KFile("model.safetensors"),
        _ => throw new ArgumentOutOfRangeException(nameof(form)),
    };
}
