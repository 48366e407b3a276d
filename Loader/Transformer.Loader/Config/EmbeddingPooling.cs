using System.Text.Json;
using Transformer.Loader.Json;

namespace Transformer.Loader.Config;

/// <summary>How token states become one sentence vector.</summary>
public enum PoolingMode
{
    /// <summary>The average of the sentence's token states.</summary>
    Mean,
    /// <summary>The first token's state ([CLS]).</summary>
    Cls,
    /// <summary>The feature-wise maximum over the sentence's tokens.</summary>
    Max,
}

/// <summary>
/// A sentence-transformers model's pooling, read from its <c>modules.json</c> (the module pipeline) and the Pooling
/// module's <c>config.json</c> (usually <c>1_Pooling/config.json</c>); a Normalize module (<c>2_Normalize</c>) makes the
/// vectors unit length. Without a modules.json (a plain BertModel folder) the choice is mean pooling, normalized: what
/// the common sentence-transformers embedding models do and what cosine-similarity users expect.
/// </summary>
public sealed record EmbeddingPooling(PoolingMode Mode, bool Normalize)
{
    /// <summary>The sentence-transformers module list file.</summary>
    public const string ModulesFileName = "modules.json";

    /// <summary>What a folder without modules.json gets: mean pooling, L2-normalized.</summary>
    public static EmbeddingPooling Default { get; } = new(PoolingMode.Mean, Normalize: true);

    private const string ModulePrefix = "sentence_transformers.models.";

    /// <summary>Reads the pooling of the model in <paramref name="folder"/>; throws <see cref="ModelFormatException"/> for a pipeline it cannot run.</summary>
    public static EmbeddingPooling Read(string folder)
    {
        string modulesPath = Path.Combine(folder, ModulesFileName);
        if (!File.Exists(modulesPath)) return Default;
        using var document = StrictJson.Parse(File.ReadAllBytes(modulesPath), $"{modulesPath}: ");
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{modulesPath}: expected a JSON array of modules, found {document.RootElement.ValueKind}");

        PoolingMode? mode = null;
        bool normalize = false;
        foreach (var module in document.RootElement.EnumerateArray())
        {
            if (module.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{modulesPath}: each module must be a JSON object, found {module.ValueKind}");
            var fields = new JsonFields(module, modulesPath);
            string type = fields.OptionalString("type") ?? throw new ModelFormatException($"{modulesPath}: a module has no 'type'");
            string path = fields.OptionalString("path") ?? "";
            switch (type.StartsWith(ModulePrefix, StringComparison.Ordinal) ? type[ModulePrefix.Length..] : type)
            {
                case "Transformer": break;
                case "Pooling": mode = ReadMode(Path.Combine(folder, path, HuggingFaceConfig.FileName)); break;
                case "Normalize": normalize = true; break;
                default:
                    throw new ModelFormatException(
                        $"{modulesPath}: module type '{InputQuote.Cap(type)}' is not supported; supported: Transformer, Pooling, Normalize");
            }
        }
        return new EmbeddingPooling(mode ?? throw new ModelFormatException($"{modulesPath}: no Pooling module, so no sentence vector is defined"), normalize);
    }

    // A Pooling module without its config.json pools by mean, as sentence-transformers' Pooling defaults to.
    private static PoolingMode ReadMode(string path)
    {
        if (!File.Exists(path)) return PoolingMode.Mean;
        using var document = StrictJson.Parse(File.ReadAllBytes(path), $"{path}: ");
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{path}: expected a JSON object, found {document.RootElement.ValueKind}");
        var fields = new JsonFields(document.RootElement, path);
        var on = new List<string>();
        foreach (string mode in new[] { "cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken" })
            if (fields.OptionalBool("pooling_mode_" + mode) == true) on.Add(mode);
        return on switch
        {
            ["cls_token"] => PoolingMode.Cls,
            ["mean_tokens"] => PoolingMode.Mean,
            ["max_tokens"] => PoolingMode.Max,
            [] => throw new ModelFormatException($"{path}: no pooling_mode_* is true"),
            [var one] => throw new ModelFormatException($"{path}: pooling_mode_{one} is not supported; supported: cls_token, mean_tokens, max_tokens"),
            _ => throw new ModelFormatException($"{path}: several pooling modes at once ({string.Join(", ", on)}) are not supported; choose one of cls_token, mean_tokens, max_tokens"),
        };
    }
}
