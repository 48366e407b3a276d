using Transformer.Loader.Safetensors;

namespace Transformer.Fuzz.Targets;

/// <summary>A whole safetensors file: the length prefix, the JSON header and the data region it describes.</summary>
internal sealed class SafetensorsTarget : FuzzTarget
{
    public override string Name => "safetensors";

    public override string Description => "SafetensorsFile.Open on the input as model.safetensors, then every tensor view read";

    public override void Run(byte[] input)
    {
        string path = ScratchDirectory.Write("model.safetensors", input);
        using var file = SafetensorsFile.Open(path);
        TensorViews.ReadAll(file);
        foreach (var (key, value) in file.Metadata)
            _ = key.Length + value.Length;
    }
}
