using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// The default layout of a teacher export: one safetensors file per shard, N positions:
/// <c>input_ids</c> i32[N], <c>target_ids</c> i32[N], <c>top_ids</c> i32[N, k], <c>top_logprobs</c> f16[N, k],
/// <c>logsumexp</c> f32[N], <c>tail_mass</c> f32[N] (6k + 16 bytes per position plus the header).
/// </summary>
public sealed class SafetensorsTeacherShards : ITeacherShardStorage
{
    /// <summary>The one instance.</summary>
    public static SafetensorsTeacherShards Instance { get; } = new();

    private SafetensorsTeacherShards() { }

    /// <inheritdoc/>
    public string Name => "safetensors";

    /// <inheritdoc/>
    public string Extension => ".safetensors";

    /// <inheritdoc/>
    public bool WholeWindows => false;

    /// <inheritdoc/>
    public void Write(string path, TeacherShardColumns shard, int windowPositions)
    {
        int n = shard.Count, k = shard.K;
        SafetensorsWriter.Write(path,
        [
            Host("input_ids", DType.I32, shard.InputIds, n),
            Host("target_ids", DType.I32, shard.TargetIds, n),
            Host("top_ids", DType.I32, shard.TopIds, n, k),
            Host("top_logprobs", DType.F16, shard.TopLogProbabilities, n, k),
            Host("logsumexp", DType.F32, shard.LogSumExp, n),
            Host("tail_mass", DType.F32, shard.TailMass, n),
        ]);
    }

    /// <inheritdoc/>
    public TeacherShardColumns Read(string path, int count, int k, int windowPositions)
    {
        using var file = SafetensorsFile.Open(path);
        return new TeacherShardColumns(count, k,
            Tensor<int>(file, "input_ids", count),
            Tensor<int>(file, "target_ids", count),
            Tensor<int>(file, "top_ids", count * k),
            Tensor<Half>(file, "top_logprobs", count * k),
            Tensor<float>(file, "logsumexp", count),
            Tensor<float>(file, "tail_mass", count));
    }

    private static T[] Tensor<T>(SafetensorsFile file, string name, int elements) where T : unmanaged
    {
        if (!file.TryGet(name, out var tensor)) throw new InvalidDataException($"{file.FilePath}: no tensor '{name}'");
        var values = MemoryMarshal.Cast<byte, T>(tensor.Data.Span);
        if (values.Length != elements) throw new InvalidDataException($"{file.FilePath}: '{name}' holds {values.Length} values, the manifest implies {elements}");
        return values.ToArray();
    }

    private static HostTensor Host<T>(string name, DType type, T[] values, params int[] shape) where T : unmanaged =>
        new(name, type, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
