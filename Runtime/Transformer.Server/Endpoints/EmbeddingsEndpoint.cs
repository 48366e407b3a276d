using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Hosting;

namespace Transformer.Server.Endpoints;

/// <summary>
/// POST /v1/embeddings, as OpenAI has it: <c>input</c> is a string, an array of strings, an array of token ids or an
/// array of token-id arrays; <c>encoding_format</c> float (default) or base64 (little-endian float32 bytes);
/// <c>usage.prompt_tokens</c> counts the tokens embedded.
/// </summary>
internal static class EmbeddingsEndpoint
{
    // OpenAI's limit on inputs per request.
    private const int MaxInputs = 2048;

    public static async Task HandleAsync(HttpContext context, ServerContext server)
    {
        server.Host.RequireEncoder();
        var (body, _) = await RequestBody.ReadAsync(context.Request, ServerJsonContext.Api.EmbeddingsBody, server.Options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        var encoder = server.Host.RequireEncoder();
        if (body.Model is { } requested && requested != encoder.Id) throw ApiException.ModelNotFound(requested);
        bool base64 = body.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            var other => throw ApiException.InvalidField("encoding_format", $"'encoding_format' must be \"float\" or \"base64\", not \"{Quote.Clip(other)}\""),
        };
        int dimensions = encoder.Embedder.Dimensions;
        if (body.Dimensions is { } asked && asked != dimensions)
            throw ApiException.InvalidField("dimensions", $"'dimensions' is {asked}, but this model's vectors have {dimensions} (it cannot shorten them)");

        var sequences = Inputs(body.Input, encoder);
        float[][] vectors = await Task.Run(() => encoder.Embedder.EmbedTokens(sequences), context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await WriteAsync(context.Response.Body, encoder.Id, vectors, sequences.Sum(s => s.Length), base64, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The token sequences of <c>input</c>, each checked against the vocabulary and the positions (400s naming the element).</summary>
    private static int[][] Inputs(JsonElement? input, ServedEncoder encoder)
    {
        const string expected = "a string, an array of strings, an array of token ids or an array of token-id arrays";
        if (input is not { } value) throw ApiException.InvalidField("input", $"'input' ({expected}) is required");
        int[][] sequences;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                sequences = [Tokenize(value.GetString()!, "input", encoder)];
                break;
            case JsonValueKind.Array when value.GetArrayLength() == 0:
                throw ApiException.InvalidField("input", "'input' must not be an empty array");
            case JsonValueKind.Array when value.GetArrayLength() > MaxInputs:
                throw ApiException.InvalidField("input", $"'input' has {value.GetArrayLength()} items; at most {MaxInputs} are accepted per request");
            case JsonValueKind.Array when value[0].ValueKind == JsonValueKind.Number:
                sequences = [TokenIds(value, "input", encoder)];
                break;
            case JsonValueKind.Array:
                sequences = value.EnumerateArray().Select((item, i) => item.ValueKind switch
                {
                    JsonValueKind.String => Tokenize(item.GetString()!, $"input[{i}]", encoder),
                    JsonValueKind.Array => TokenIds(item, $"input[{i}]", encoder),
                    _ => throw ApiException.InvalidField($"input[{i}]", $"'input[{i}]' must be a string or an array of token ids"),
                }).ToArray();
                break;
            default:
                throw ApiException.InvalidField("input", $"'input' must be {expected}");
        }
        foreach (var (sequence, i) in sequences.Select((s, i) => (s, i)))
        {
            string param = value.ValueKind == JsonValueKind.Array && sequences.Length > 1 ? $"input[{i}]" : "input";
            if (sequence.Length > encoder.Embedder.MaxTokens)
                throw ApiException.ContextLengthExceeded($"'{param}' is {sequence.Length} tokens; this model embeds at most {encoder.Embedder.MaxTokens}", param);
        }
        return sequences;
    }

    private static int[] Tokenize(string text, string param, ServedEncoder encoder)
    {
        if (text.Length == 0) throw ApiException.InvalidField(param, $"'{param}' must not be an empty string");
        if (encoder.Embedder.Tokenizer is null)
            throw ApiException.InvalidField(param, $"the model '{encoder.Id}' has no tokenizer, so it embeds token ids only; send '{param}' as an array of token ids");
        return [.. encoder.Embedder.Encode(text)];
    }

    private static int[] TokenIds(JsonElement array, string param, ServedEncoder encoder)
    {
        if (array.GetArrayLength() == 0) throw ApiException.InvalidField(param, $"'{param}' must not be an empty array of token ids");
        int vocab = encoder.Embedder.Model.Config.VocabSize;
        var ids = new int[array.GetArrayLength()];
        int j = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
                throw ApiException.InvalidField($"{param}[{j}]", $"'{param}[{j}]' must be a token id (an integer)");
            if ((uint)id >= (uint)vocab)
                throw ApiException.InvalidField($"{param}[{j}]", $"'{param}[{j}]' is {id}, outside the vocabulary [0, {vocab})");
            ids[j++] = id;
        }
        return ids;
    }

    private static async Task WriteAsync(Stream body, string model, float[][] vectors, int tokens, bool base64, CancellationToken cancellation)
    {
        await using var w = new Utf8JsonWriter(body);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        for (int i = 0; i < vectors.Length; i++)
        {
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", i);
            if (base64)
            {
                var bytes = new byte[vectors[i].Length * sizeof(float)];
                for (int k = 0; k < vectors[i].Length; k++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(k * sizeof(float)), vectors[i][k]);
                w.WriteBase64String("embedding", bytes);
            }
            else
            {
                w.WriteStartArray("embedding");
                foreach (float v in vectors[i]) w.WriteNumberValue(v);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("model", model);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
        w.WriteEndObject();
        await w.FlushAsync(cancellation).ConfigureAwait(false);
    }
}
