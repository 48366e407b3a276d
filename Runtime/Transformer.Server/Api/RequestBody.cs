using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Transformer.Server.Api;

/// <summary>
/// Reads a JSON request body into its typed form, turning every way it can be wrong into a 400 that names
/// the field (or a 413 when it is larger than Kestrel's body limit). The body is parsed once as a JSON tree
/// first, so a syntax error is told apart from a field of the wrong type, and the tree stays available
/// for the fields read by hand.
/// </summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task<(T Body, JsonObject Json)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long limit, CancellationToken cancellation)
    {
        byte[] bytes = await ReadBytesAsync(request, limit, cancellation).ConfigureAwait(false);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            throw ApiException.InvalidBody($"the request body is not valid JSON: {Quote.Clip(e.Message)}");
        }

        if (node is not JsonObject json) throw ApiException.InvalidBody($"the request body must be a JSON object, not {Describe(node)}");
        try
        {
            return (json.Deserialize(type)!, json);
        }
        catch (JsonException e)
        {
            string param = FieldTypes.Param(e.Path);
            throw ApiException.InvalidField(param, $"'{param}' must be {FieldTypes.Expected(type, e.Path)}");
        }
    }

    /// <summary>
    /// The whole body, refused with 413 as soon as it is known to be larger than <paramref name="limit"/>
    /// (by its Content-Length, or while it arrives). The limit is enforced here rather than by Kestrel
    /// (see <see cref="Hosting.ApiMiddleware"/>) so that Kestrel drains the rest of the body after the
    /// answer and a client that sends its whole body before reading (no Expect: 100-continue) still gets the
    /// 413 instead of a broken connection.
    /// </summary>
    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, long limit, CancellationToken cancellation)
    {
        if (request.ContentLength > limit) throw TooLarge(limit);
        var body = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellation).ConfigureAwait(false);
                if (body.Length + result.Buffer.Length > limit) throw TooLarge(limit);
                foreach (var segment in result.Buffer) body.Write(segment.Span);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) return body.ToArray();
            }
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, $"the request body could not be read: {Quote.Clip(e.Message)}", "invalid_request_error");
        }
    }

    private static ApiException TooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge,
        $"the request body is larger than this server accepts ({limit.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes)",
        "invalid_request_error", "request_too_large");

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
    };
}
