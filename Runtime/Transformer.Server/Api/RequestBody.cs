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

    public static async Task<(T Body, JsonObject Json)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, documentOptions: DocumentOptions, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            long? limit = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            throw new ApiException(StatusCodes.Status413PayloadTooLarge,
                $"the request body is larger than this server accepts ({limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the configured limit"} bytes)",
                "invalid_request_error", "request_too_large");
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, $"the request body could not be read: {Quote.Clip(e.Message)}", "invalid_request_error");
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
