using Transformer.Loader.Config;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>
/// Inputs the coverage-guided fuzzer (tools/Fuzz) found making a parser throw something other than
/// <see cref="ModelFormatException"/>, kept as they were found (FuzzFindings/) so each stays fixed.
/// </summary>
public sealed class FuzzFindingTests
{
    private static byte[] Finding(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzFindings", name));

    [Fact]
    public void An_index_with_invalid_utf8_in_a_tensor_name_is_rejected_as_not_utf8()
    {
        using var dir = new TempDirectory();
        string index = dir.WriteBytes(ShardedSafetensors.IndexFileName, Finding("index-invalid-utf8-in-name.json"));
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Equal($"{index}: not valid UTF-8", error.Message);
    }

    [Fact]
    public void An_index_with_an_unpaired_surrogate_escape_is_rejected_naming_the_byte()
    {
        // "\ud800" is valid JSON syntax, but JsonDocument cannot turn it into a string: it threw
        // InvalidOperationException when weight_map was looked up.
        using var dir = new TempDirectory();
        string index = dir.WriteBytes(ShardedSafetensors.IndexFileName, Finding("index-unpaired-surrogate-escape.json"));
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(index)}: not valid JSON: the string at byte [0-9]+ escapes an unpaired surrogate", error.Message);
    }

    [Fact]
    public void A_safetensors_header_with_an_unpaired_surrogate_escape_is_rejected_naming_the_byte()
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("model.safetensors", Finding("safetensors-header-unpaired-surrogate-escape.safetensors"));
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(path)}: safetensors header is not valid JSON: the string at byte [0-9]+ escapes an unpaired surrogate", error.Message);
    }

    [Fact]
    public void A_config_with_an_unpaired_surrogate_escape_is_rejected_naming_the_byte()
    {
        // Not a fuzz input: the same JsonDocument behaviour as the two above, reached through config.json's model_type.
        string json = "{\"model_type\": \"ll\\udc00ama\", \"hidden_size\": 64}";
        var error = Assert.Throws<ModelFormatException>(() => HuggingFaceConfig.Parse(json, "config.json"));
        Assert.Equal("config.json: not valid JSON: the string at byte 15 escapes an unpaired surrogate", error.Message[..error.Message.IndexOf(" (", StringComparison.Ordinal)]);
    }
}
