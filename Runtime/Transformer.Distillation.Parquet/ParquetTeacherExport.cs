using Transformer.Runtime.Distillation;

namespace Transformer.Distillation.Parquet;

/// <summary>Reads a teacher export written with <c>--format parquet</c> (<see cref="ParquetTeacherShards"/>).</summary>
public static class ParquetTeacherExport
{
    /// <summary>Every record of a Parquet export, in the order they were written.</summary>
    /// <exception cref="InvalidDataException">The folder is no Parquet export or a shard does not match its manifest.</exception>
    public static IEnumerable<TeacherRecord> Read(string directory) => TeacherExport.Read(directory, ParquetTeacherShards.Instance);
}
