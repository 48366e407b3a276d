using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Loader.Safetensors;

namespace Transformer.Runtime.Pruning;

/// <summary>
/// Writes a pruned model as a normal Hugging Face folder: model.safetensors, the source's config.json with every
/// shape field rewritten (and every per-layer list cut to the kept layers), and the source's tokenizer files.
/// </summary>
public static class PrunedFolder
{
    // What a Hugging Face folder or a llama2.c export carries besides weights and config: the tokenizer and its settings.
    private static readonly string[] TokenizerPatterns =
        ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json", "added_tokens.json",
         "vocab.json", "merges.txt", "generation_config.json", "chat_template.jinja", "chat_template.json", "tok*.model", "tok*.bin"];

    /// <summary>The tokenizer files of <paramref name="sourceDirectory"/>, copied into <paramref name="outputDirectory"/>; returns their names.</summary>
    public static IReadOnlyList<string> CopyTokenizer(string sourceDirectory, string outputDirectory)
    {
        var copied = new List<string>();
        foreach (string pattern in TokenizerPatterns)
            foreach (string file in Directory.GetFiles(sourceDirectory, pattern).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (copied.Contains(name)) continue;
                File.Copy(file, Path.Combine(outputDirectory, name), overwrite: true);
                copied.Add(name);
            }
        if (copied.Count == 0) throw new FileNotFoundException($"{sourceDirectory}: no tokenizer files to copy (looked for {string.Join(", ", TokenizerPatterns)})");
        return copied;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> and the config of <paramref name="pruned"/> (rewritten from the config.json of
    /// <paramref name="original"/> in <paramref name="sourceDirectory"/>) into <paramref name="outputDirectory"/>, with the
    /// tokenizer of <paramref name="sourceDirectory"/>.
    /// </summary>
    public static void Write(string sourceDirectory, string outputDirectory, ModelConfig original, ModelConfig pruned, IReadOnlyList<int> keptLayers,
        IReadOnlyList<HostTensor> tensors)
    {
        string configPath = Path.Combine(sourceDirectory, HuggingFaceConfig.FileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{sourceDirectory}: no {HuggingFaceConfig.FileName}; pruning writes a Hugging Face folder from one", configPath);
        Directory.CreateDirectory(outputDirectory);
        SafetensorsWriter.Write(Path.Combine(outputDirectory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(outputDirectory, HuggingFaceConfig.FileName), ShrinkConfig(File.ReadAllText(configPath), original, pruned, keptLayers));
        CopyTokenizer(sourceDirectory, outputDirectory);
    }

    /// <summary>
    /// config.json with the pruned widths and depth; head_dim is written out (it no longer follows hidden / heads), and
    /// every top-level list with one entry per original layer (layer_types, no_rope_layers, ...) keeps the kept layers' entries.
    /// </summary>
    public static string ShrinkConfig(string configJson, ModelConfig original, ModelConfig pruned, IReadOnlyList<int> keptLayers)
    {
        var root = JsonNode.Parse(configJson) as JsonObject ?? throw new FormatException("config.json is not a JSON object");
        foreach (var (key, value) in root.ToList())
        {
            if (value is JsonArray list && list.Count == original.NumLayers && key != "architectures")
                root[key] = new JsonArray([.. keptLayers.Select(l => list[l]?.DeepClone())]);
        }
        root["hidden_size"] = pruned.HiddenSize;
        root["intermediate_size"] = pruned.IntermediateSize;
        root["num_hidden_layers"] = pruned.NumLayers;
        root["num_attention_heads"] = pruned.NumHeads;
        root["num_key_value_heads"] = pruned.NumKvHeads;
        root["head_dim"] = pruned.HeadDim;
        if (root["max_window_layers"] is JsonValue window && window.TryGetValue(out int windowLayers))
            root["max_window_layers"] = keptLayers.Count(l => l < windowLayers);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
