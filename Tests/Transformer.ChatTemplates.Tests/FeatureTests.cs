using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Tests;

/// <summary>
/// One small template per interpreter feature (tools/chat-templates/features.py), each held to what the real
/// Jinja2, with Hugging Face's settings, rendered or raised.
/// </summary>
public sealed class FeatureTests
{
    private static readonly Lazy<Dictionary<string, JsonObject>> Features = new(() =>
        GoldenFile.Read("features.json")["features"]!.AsArray().Cast<JsonObject>().ToDictionary(f => (string)f["name"]!));

    public static TheoryData<string> Names() => [.. Features.Value.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Renders_as_jinja2_does(string name)
    {
        JsonObject feature = Features.Value[name];
        string source = (string)feature["template"]!;
        var variables = feature["variables"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.DeepClone());

        JinjaOutcome.Of(feature).Check(() => ChatTemplate.Parse(source, name).Render(variables, TestFiles.GoldenNow));
    }
}
