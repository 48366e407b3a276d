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
}
