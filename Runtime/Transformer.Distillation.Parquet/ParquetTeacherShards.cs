using Parquet;
using Parquet.Schema;
using Transformer.Runtime.Distillation;

namespace Transformer.Distillation.Parquet;

/// <summary>
/// Teacher export shards as Parquet, one row per window (ctx − 1 positions), the columns a Hugging Face dataset
/// loads: <c>input_ids</c>, <c>target_ids</c> list&lt;int32&gt;; <c>top_ids</c> list&lt;list&lt;int32&gt;&gt;;
/// <c>top_logprobs</c> list&lt;list&lt;float&gt;&gt;; <c>logsumexp</c>, <c>tail_mass</c> list&lt;float&gt;.
/// The log-probabilities are the export's f16 values widened to float32 (Parquet.Net writes no float16), so a
/// Parquet and a safetensors export of the same run hold the same values. Snappy-compressed (what pyarrow and hyparquet read without extras), one row group per file.
/// </summary>
public sealed class ParquetTeacherShards : ITeacherShardStorage
{
    /// <summary>The one instance.</summary>
    public static ParquetTeacherShards Instance { get; } = new();

    private static readonly DataField<int> InputIds = Element<int>(), TargetIds = Element<int>(), TopIds = Element<int>();
    private static readonly DataField<float> TopLogProbabilities = Element<float>(), LogSumExp = Element<float>(), TailMass = Element<float>();

    private static readonly ParquetSchema Schema = new(
        new ListField("input_ids", InputIds),
        new ListField("target_ids", TargetIds),
        new ListField("top_ids", new ListField("element", TopIds)),
        new ListField("top_logprobs", new ListField("element", TopLogProbabilities)),
        new ListField("logsumexp", LogSumExp),
        new ListField("tail_mass", TailMass));

    private ParquetTeacherShards() { }

    /// <inheritdoc/>
    public string Name => "parquet";

    /// <inheritdoc/>
    public string Extension => ".parquet";

    /// <inheritdoc/>
    public bool WholeWindows => true;

    /// <inheritdoc/>
    public void Write(string path, TeacherShardColumns shard, int windowPositions) =>
        WriteAsync(path, shard, windowPositions).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public TeacherShardColumns Read(string path, int count, int k, int windowPositions) =>
        ReadAsync(path, count, k, windowPositions).GetAwaiter().GetResult();

    private static async Task WriteAsync(string path, TeacherShardColumns shard, int windowPositions)
    {
        int n = shard.Count, k = shard.K;
        var perPosition = ListLevels.Repetition(n, 1, windowPositions);
        var perEntry = ListLevels.Repetition(n, k, windowPositions);
        var logProbabilities = Array.ConvertAll(shard.TopLogProbabilities, v => (float)v);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy })
            .ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        await Column<int>(group, InputIds, shard.InputIds, perPosition).ConfigureAwait(false);
        await Column<int>(group, TargetIds, shard.TargetIds, perPosition).ConfigureAwait(false);
        await Column<int>(group, TopIds, shard.TopIds, perEntry).ConfigureAwait(false);
        await Column<float>(group, TopLogProbabilities, logProbabilities, perEntry).ConfigureAwait(false);
        await Column<float>(group, LogSumExp, shard.LogSumExp, perPosition).ConfigureAwait(false);
        await Column<float>(group, TailMass, shard.TailMass, perPosition).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a column with every list and value present: the definition levels all at the field's maximum (the
    /// writer needs them spelled out once repetition levels are given).
    /// </summary>
    private static Task Column<T>(ParquetRowGroupWriter group, DataField field, T[] values, int[] repetition) where T : struct =>
        group.WriteAllPartsAsync<T>(field, values, Enumerable.Repeat(field.MaxDefinitionLevel, values.Length).ToArray(), repetition, CancellationToken.None);

    private static async Task<TeacherShardColumns> ReadAsync(string path, int count, int k, int windowPositions)
    {
        await using var reader = await ParquetReader.CreateAsync(path).ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields();
        if (reader.RowGroupCount != 1) throw new InvalidDataException($"{path}: {reader.RowGroupCount} row groups; a teacher shard has one");
        using var group = reader.OpenRowGroupReader(0);
        long rows = (count + windowPositions - 1) / windowPositions;
        if (group.RowCount != rows) throw new InvalidDataException($"{path}: {group.RowCount} rows, the manifest implies {rows} windows");
        var inputs = await Column<int>(group, fields, "input_ids", count, 1, windowPositions, path).ConfigureAwait(false);
        var targets = await Column<int>(group, fields, "target_ids", count, 1, windowPositions, path).ConfigureAwait(false);
        var ids = await Column<int>(group, fields, "top_ids", count, k, windowPositions, path).ConfigureAwait(false);
        var logProbabilities = await Column<float>(group, fields, "top_logprobs", count, k, windowPositions, path).ConfigureAwait(false);
        var logSumExp = await Column<float>(group, fields, "logsumexp", count, 1, windowPositions, path).ConfigureAwait(false);
        var tail = await Column<float>(group, fields, "tail_mass", count, 1, windowPositions, path).ConfigureAwait(false);
        return new TeacherShardColumns(count, k, inputs, targets, ids, Array.ConvertAll(logProbabilities, v => (Half)v), logSumExp, tail);
    }

    /// <summary>A column's leaf values, checked to have the nesting the manifest implies (so a row of the wrong length is caught, not misread).</summary>
    private static async Task<T[]> Column<T>(ParquetRowGroupReader group, DataField[] fields, string column, int count, int perPosition,
        int windowPositions, string path) where T : struct
    {
        var field = fields.FirstOrDefault(f => f.Path.FirstPart == column && f.ClrType == typeof(T))
            ?? throw new InvalidDataException($"{path}: no {typeof(T).Name} column '{column}'");
        long stored = group.GetMetadata(field)?.MetaData?.NumValues ?? 0;
        long expected = (long)count * perPosition;
        if (stored != expected) throw new InvalidDataException($"{path}: '{column}' holds {stored} values, the manifest implies {expected}");
        var values = new T[expected];
        int[] definition = new int[expected], repetition = new int[expected];
        await group.ReadRawAsync<T>(field, values, definition, repetition).ConfigureAwait(false);
        if (definition.AsSpan().ContainsAnyExcept(field.MaxDefinitionLevel))
            throw new InvalidDataException($"{path}: '{column}' holds a null or an empty list; a teacher export has neither");
        if (!repetition.AsSpan().SequenceEqual(ListLevels.Repetition(count, perPosition, windowPositions)))
            throw new InvalidDataException($"{path}: '{column}' is not nested as {windowPositions} positions per row of {perPosition} entries each");
        return values;
    }

    private static DataField<T> Element<T>() => new("element", false);
}
