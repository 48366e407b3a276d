using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Safetensors;

/// <summary>One tensor as the header describes it: offsets are relative to the start of the data region.</summary>
internal sealed record SafetensorsEntry(string Name, DType Type, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}
