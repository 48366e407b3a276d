namespace Transformer.Runtime.Distillation;

/// <summary>
/// How the shards of a teacher export are stored on disk: <see cref="TeacherExport"/> fills the columns and the
/// manifest, a storage writes and reads one shard. The engine has the safetensors layout
/// (<see cref="SafetensorsTeacherShards"/>); layouts that need a third-party library (Parquet) live in their own
/// assemblies and are passed in.
/// </summary>
public interface ITeacherShardStorage
{
    /// <summary>The manifest's <c>storage</c> value for this layout, e.g. <c>safetensors</c>.</summary>
    string Name { get; }

    /// <summary>File name extension of a shard, with the dot.</summary>
    string Extension { get; }

    /// <summary>
    /// True when a shard must hold whole windows (one row per window): the export then rounds the positions per
    /// shard down to a multiple of ctx − 1.
    /// </summary>
    bool WholeWindows { get; }

    /// <summary>Writes one shard; <paramref name="windowPositions"/> (ctx − 1) positions make a window.</summary>
    void Write(string path, TeacherShardColumns shard, int windowPositions);

    /// <summary>Reads one shard of <paramref name="count"/> positions.</summary>
    /// <exception cref="InvalidDataException">The file does not hold the columns the manifest implies.</exception>
    TeacherShardColumns Read(string path, int count, int k, int windowPositions);
}

/// <summary>
/// The positions of one shard as flat columns: <see cref="TopIds"/> and <see cref="TopLogProbabilities"/> hold
/// <see cref="K"/> entries per position, row after row.
/// </summary>
public sealed record TeacherShardColumns(int Count, int K, int[] InputIds, int[] TargetIds, int[] TopIds, Half[] TopLogProbabilities,
    float[] LogSumExp, float[] TailMass)
{
    /// <summary>The record of position <paramref name="i"/>.</summary>
    public TeacherRecord Record(int i) =>
        new(InputIds[i], TargetIds[i], TopIds.AsSpan(i * K, K).ToArray(), TopLogProbabilities.AsSpan(i * K, K).ToArray(), LogSumExp[i], TailMass[i]);
}
