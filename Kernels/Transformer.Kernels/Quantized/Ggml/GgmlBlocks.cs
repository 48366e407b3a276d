namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>Shape checks shared by the ggml block formats.</summary>
internal static class GgmlBlocks
{
    /// <summary>The number of blocks in <paramref name="bytes"/>, which must fill <paramref name="values"/> exactly.</summary>
    public static int Count(int bytes, int blockBytes, int values, int blockSize, string format)
    {
        if (bytes % blockBytes != 0 || values != bytes / blockBytes * blockSize)
            throw new ArgumentException($"{bytes} bytes of {format} blocks ({blockBytes} bytes per {blockSize} values) do not make {values} values");
        return bytes / blockBytes;
    }
}
