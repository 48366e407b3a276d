using System.Runtime.InteropServices;
using Transformer.Loader.Llama2c;

namespace Transformer.Loader.Tests.Support;

/// <summary>Synthetic llama2.c checkpoints whose float at file position k (after the header) has the value k.</summary>
public static class Llama2cBytes
{
    public static byte[] Checkpoint(Llama2cHeader header, int extraFloats = 0)
    {
        long floats = (header.ExpectedFileBytes - Llama2cHeader.SizeInBytes) / sizeof(float) + extraFloats;
        return Build(header, floats);
    }

    public static byte[] Build(Llama2cHeader header, long floats)
    {
        int[] ints = [header.Dim, header.HiddenDim, header.NumLayers, header.NumHeads, header.NumKvHeads, header.SignedVocabSize, header.SeqLen];
        var values = new float[floats];
        for (int i = 0; i < values.Length; i++) values[i] = i;
        return [.. MemoryMarshal.AsBytes(ints.AsSpan()), .. MemoryMarshal.AsBytes(values.AsSpan())];
    }
}
