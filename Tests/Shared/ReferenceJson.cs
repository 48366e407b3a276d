using System.Text.Json;

namespace Transformer.Tests.Shared;

/// <summary>Reads the reference JSON files (greedy continuations, logits).</summary>
public static class ReferenceJson
{
    /// <summary>Parses a file.</summary>
    public static JsonElement Load(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    /// <summary>An array of ints.</summary>
    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>An array of arrays of floats, flattened row-major.</summary>
    public static float[] FlatFloats(JsonElement rows) =>
        rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetSingle())).ToArray();
}
