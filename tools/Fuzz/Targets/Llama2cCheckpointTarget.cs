using Transformer.Loader.Llama2c;

namespace Transformer.Fuzz.Targets;

/// <summary>A llama2.c checkpoint: the 7-int header, checked against the file size, and the tensors it lays out.</summary>
internal sealed class Llama2cCheckpointTarget : FuzzTarget
{
    public override string Name => "llama2c-checkpoint";

    public override string Description => "Llama2cCheckpoint.IsCheckpoint and Open on the input as model.bin, then every tensor view read";

    public override void Run(byte[] input)
    {
        string path = ScratchDirectory.Write("model.bin", input);
        bool looksValid = Llama2cCheckpoint.IsCheckpoint(path);
        using var checkpoint = Llama2cCheckpoint.Open(path);
        if (!looksValid)
            throw new InvalidOperationException($"{path}: IsCheckpoint said no but Open accepted it");
        checkpoint.Config.Validate(path);
        TensorViews.ReadAll(checkpoint);
    }
}
