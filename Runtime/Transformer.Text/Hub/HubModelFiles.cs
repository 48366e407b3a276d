using Transformer.Loader.Config;
using Transformer.Loader.Safetensors;

namespace Transformer.Text.Hub;

/// <summary>
/// Which files of a Hub folder a model needs: its weights in the layout <see cref="Transformer.Loader.ModelFiles"/>
/// opens, its config and its tokenizer files; never the rest (READMEs, PyTorch pickles, ONNX or GGUF copies), which
/// can be many times the model's size.
/// </summary>
internal static class HubModelFiles
{
    private static readonly string[] Companions =
        [HuggingFaceConfig.FileName, "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model"];

    /// <summary>
    /// The names (inside the model's folder) to fetch first. A sharded model's shards are named by its index,
    /// which is among them; <see cref="Shards"/> reads it once it is local.
    /// </summary>
    public static IReadOnlyList<string> Choose(HubModelReference model, IReadOnlyList<string> repositoryPaths)
    {
        string prefix = model.Folder.Length == 0 ? "" : model.Folder + "/";
        var names = repositoryPaths
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && !p.AsSpan(prefix.Length).Contains('/'))
            .Select(p => p[prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        var chosen = names.Where(n => Companions.Contains(n) || IsLlama2cTokenizer(n) || IsSentencePieceModel(n)).ToList();
        chosen.Add(Weights(model, names));
        return chosen;
    }

    /// <summary>The shard files a downloaded index names.</summary>
    public static IReadOnlyList<string> Shards(string indexPath) => ShardedSafetensors.ShardFiles(indexPath);

    private static string Weights(HubModelReference model, List<string> names)
    {
        var safetensors = names.Where(n => n.EndsWith(".safetensors", StringComparison.Ordinal)).ToList();
        if (names.Contains(ShardedSafetensors.IndexFileName)) return ShardedSafetensors.IndexFileName;
        if (safetensors.Contains("model.safetensors")) return "model.safetensors";
        if (safetensors.Count == 1) return safetensors[0];
        if (safetensors.Count > 1)
            throw new HubDownloadException($"{model}: {safetensors.Count} *.safetensors files and no {ShardedSafetensors.IndexFileName} saying how they fit together");
        if (names.Contains(HuggingFaceConfig.FileName))
            throw new HubDownloadException($"{model}: config.json but no *.safetensors weights (PyTorch .bin pickles are not read); found: {Listed(names)}");

        // No config.json: a llama2.c checkpoint, whose header carries the configuration.
        var checkpoints = names.Where(n => n.EndsWith(".bin", StringComparison.Ordinal) && !IsLlama2cTokenizer(n)).ToList();
        return checkpoints.Count switch
        {
            1 => checkpoints[0],
            0 => throw new HubDownloadException(
                $"{model}: no model in this folder (looked for *.safetensors with config.json, or a llama2.c *.bin); found: {Listed(names)}"),
            _ => throw new HubDownloadException(
                $"{model}: {checkpoints.Count} llama2.c checkpoints ({Listed(checkpoints)}); name a folder holding one"),
        };
    }

    // The patterns TokenizerLocator searches beside a model: tok*.bin (llama2.c exports) and tok*.model (SentencePiece).
    private static bool IsLlama2cTokenizer(string name) => name.StartsWith("tok", StringComparison.Ordinal) && name.EndsWith(".bin", StringComparison.Ordinal);

    private static bool IsSentencePieceModel(string name) => name.StartsWith("tok", StringComparison.Ordinal) && name.EndsWith(".model", StringComparison.Ordinal);

    // Folder listings can be long: name the first few.
    private static string Listed(IReadOnlyList<string> names) =>
        names.Count == 0 ? "nothing" : string.Join(", ", names.Take(8)) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");
}
