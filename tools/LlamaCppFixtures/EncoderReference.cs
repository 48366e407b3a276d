using System.Text.Json;
using LLama.Native;
using Transformer.Loader;
using Transformer.Loader.Safetensors;

namespace LlamaCppFixtures;

/// <summary>llama.cpp's embeddings for an encoder fixture folder: every token's last hidden state, and the mean pooling.</summary>
public static class EncoderReference
{
    /// <summary>One sequence: its ids, llama.cpp's states [tokens][hidden] (pooling none) and its mean pooling.</summary>
    public sealed record Case(int[] Tokens, float[][] States, float[] Mean);

    /// <summary>
    /// Runs the encoder in <paramref name="folder"/> (config.json, model.safetensors, reference.json of the PyTorch
    /// reference) on each of the reference's sequences whose token types are all 0: llama.cpp adds token type 0 to
    /// every token, having no input for types.
    /// </summary>
    public static IReadOnlyList<Case> Run(EncoderFixture encoder, string folder)
    {
        using var configDocument = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "config.json")));
        using var referenceDocument = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));
        var config = configDocument.RootElement;
        int hidden = config.TryGetProperty("hidden_size", out var h) ? h.GetInt32() : config.GetProperty("n_embd").GetInt32();
        var sequences = referenceDocument.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => !c.TryGetProperty("token_types", out var types) || types.EnumerateArray().All(t => t.GetInt32() == 0))
            .Select(c => c.GetProperty("token_ids").EnumerateArray().Select(t => t.GetInt32()).ToArray())
            .ToArray();

        string gguf = Path.Combine(Path.GetTempPath(), $"fixture-{encoder.Name}-{Environment.ProcessId}.gguf");
        try
        {
            using (var weights = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors")))
                LlamaCppReference.WriteGguf(encoder, weights, config, gguf);
            return sequences.Select(tokens => new Case(tokens,
                LlamaCppReference.Embeddings(gguf, tokens, hidden, LLamaPoolingType.None),
                LlamaCppReference.Embeddings(gguf, tokens, hidden, LLamaPoolingType.Mean)[0])).ToArray();
        }
        finally
        {
            File.Delete(gguf);
        }
    }
}
