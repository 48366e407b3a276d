using Transformer.Loader.Gguf;

namespace Transformer.Fuzz.Targets;

/// <summary>A whole GGUF file: header, typed metadata, tensor descriptors and the data region they place.</summary>
internal sealed class GgufTarget : FuzzTarget
{
    public override string Name => "gguf";

    public override string Description => "GgufFile.Open on the input as model.gguf, then every metadata value and tensor byte read";

    public override void Run(byte[] input)
    {
        string path = ScratchDirectory.Write("model.gguf", input);
        using var file = GgufFile.Open(path);
        long sum = 0;
        foreach (string key in file.Metadata.Keys)
            sum += file.Metadata.TryGet(key, out var value) ? value.Count + value.ToString().Length : 0;
        foreach (var tensor in file.Tensors)
            foreach (byte b in file.Data(tensor).Span) sum += b;
        GC.KeepAlive(sum);
    }
}
