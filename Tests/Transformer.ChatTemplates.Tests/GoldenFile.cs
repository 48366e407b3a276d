using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Tests;

/// <summary>What Jinja2 did with a template: the text it rendered, or the error it raised.</summary>
internal sealed record JinjaOutcome(string? Expected, string? ErrorType, string? ErrorMessage, int? ErrorLine)
{
    public static JinjaOutcome Of(JsonObject entry) => entry["error"] is JsonObject error
        ? new JinjaOutcome(null, (string)error["type"]!, (string)error["message"]!, (int?)error["line"])
        : new JinjaOutcome((string)entry["expected"]!, null, null, null);

    /// <summary>The kind of failure our exception must report for Jinja2's exception type.</summary>
    public ChatTemplateErrorKind ExpectedKind => ErrorType switch
    {
        "TemplateError" => ChatTemplateErrorKind.Raised,
        "TemplateSyntaxError" or "TemplateAssertionError" or "SyntaxError" => ChatTemplateErrorKind.Syntax,
        _ => ChatTemplateErrorKind.Runtime,
    };

    /// <summary>
    /// Asserts that rendering gave Jinja2's text, or failed as Jinja2 failed: the same kind, on the same line
    /// (Python's own SyntaxError, raised from generated code, has no template line), with Jinja2's message
    /// for raised and runtime errors.
    /// </summary>
    public void Check(Func<string> render)
    {
        if (Expected is not null)
        {
            Assert.Equal(Expected, render());
            return;
        }

        var error = Assert.Throws<ChatTemplateException>(render);
        Assert.Equal(ExpectedKind, error.Kind);
        if (ErrorType != "SyntaxError") Assert.Equal(ErrorLine, error.Line);
        if (ExpectedKind != ChatTemplateErrorKind.Syntax) Assert.Equal(ErrorMessage, error.Problem);
    }
}

/// <summary>Reads the JSON files render_goldens.py wrote.</summary>
internal static class GoldenFile
{
    public static JsonObject Read(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(TestFiles.Golden(name)))!;
}
