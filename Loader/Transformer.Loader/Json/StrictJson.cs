using System.Text.Json;
using System.Text.Unicode;

namespace Transformer.Loader.Json;

/// <summary>
/// Parses the JSON of a model file into a <see cref="JsonDocument"/>, rejecting up front what
/// <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> accepts but cannot read back:
/// invalid UTF-8, and a <c>\uXXXX</c> escape of an unpaired surrogate (<c>"\ud800"</c>). JsonDocument reports
/// those only when the string or property name is read, as an InvalidOperationException that names no file
/// (both found by fuzzing, tools/Fuzz).
/// </summary>
internal static class StrictJson
{
    /// <summary>
    /// The parsed document; otherwise <see cref="ModelFormatException"/> whose message starts with
    /// <paramref name="prefix"/> (e.g. <c>"model.safetensors: safetensors header is "</c>) and goes on
    /// "not valid UTF-8", "not valid JSON: …" or "not valid JSON: the string at byte N …".
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string prefix)
    {
        if (!Utf8.IsValid(utf8.Span))
            throw new ModelFormatException($"{prefix}not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{prefix}not valid JSON: {e.Message}", e);
        }

        try
        {
            RejectUnreadableStrings(utf8.Span, prefix);
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static void RejectUnreadableStrings(ReadOnlySpan<byte> utf8, string prefix)
    {
        // The document parsed with the same (default) options, so this reader reads it to the end.
        var reader = new Utf8JsonReader(utf8);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                continue;
            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw new ModelFormatException(
                    $"{prefix}not valid JSON: the string at byte {reader.TokenStartIndex} escapes an unpaired surrogate ({e.Message})", e);
            }
        }
    }
}
