using System.Security.Cryptography;
using System.Text.Json;
using Transformer.Runtime.Evaluation;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// Writes a teacher's top-k distributions at every position of a text as shards plus <c>manifest.json</c>, the
/// layout trainers read (tools/distill has a PyTorch consumer), and reads them back. The shards are safetensors
/// (<see cref="SafetensorsTeacherShards"/>) unless <see cref="Settings.Storage"/> names another layout
/// (Transformer.Distillation.Parquet has Parquet).
/// </summary>
public static class TeacherExport
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>Options of one export.</summary>
    public sealed record Settings
    {
        /// <summary>Entries kept per position.</summary>
        public required int K { get; init; }
        /// <summary>Keep only the entries that reach this cumulative probability (at most K); null keeps K.</summary>
        public float? TopP { get; init; }
        /// <summary>Tokens per window.</summary>
        public required int Context { get; init; }
        /// <summary>Positions per shard (rounded down to whole windows when the storage needs them).</summary>
        public int PositionsPerShard { get; init; } = 65_536;
        /// <summary>How shards are written; safetensors by default.</summary>
        public ITeacherShardStorage Storage { get; init; } = SafetensorsTeacherShards.Instance;
        /// <summary>Recorded in the manifest: the teacher's files.</summary>
        public required string TeacherSha256 { get; init; }
        /// <summary>Recorded in the manifest: the tokenizer file.</summary>
        public required string TokenizerSha256 { get; init; }
        /// <summary>Recorded in the manifest: the data file.</summary>
        public required string DataSha256 { get; init; }
    }

    /// <summary>Exports every position of every whole window of <paramref name="tokens"/> into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">k, top-p or the window do not fit the model or the text.</exception>
    public static TeacherManifest Write(DecoderModel teacher, IReadOnlyList<int> tokens, int bosId, Settings settings, string directory,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        int vocab = teacher.Config.VocabSize;
        if (settings.K < 1 || settings.K > vocab) throw new ArgumentException($"k must be in [1, {vocab}] (the vocabulary), got {settings.K}");
        if (settings.TopP is { } p && !(p > 0 && p <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {p}");
        if (settings.PositionsPerShard < 1) throw new ArgumentException("a shard must hold at least one position");
        var chunks = new TextChunks { Context = settings.Context, Stride = settings.Context, ScoreWholeWindow = true };
        var storage = settings.Storage;
        int perWindow = settings.Context - 1;
        int perShard = storage.WholeWindows ? Math.Max(1, settings.PositionsPerShard / perWindow) * perWindow : settings.PositionsPerShard;
        Directory.CreateDirectory(directory);
        var shards = new List<TeacherShard>();
        var buffer = new ShardBuffer(settings.K, perShard);
        long count = 0;
        var order = new int[vocab];
        foreach (var position in PerplexityScorer.Score(teacher, tokens, bosId, chunks, progress, cancellation))
        {
            int input = position.Position == 0 ? bosId : tokens[position.Window * chunks.Stride + position.Position];
            buffer.Add(input, position.NextToken, position.LogProbabilities.Span, position.LogSumExp, settings.TopP, order);
            count++;
            if (buffer.Count == perShard) shards.Add(buffer.Flush(storage, directory, shards.Count, perWindow));
        }
        if (buffer.Count > 0) shards.Add(buffer.Flush(storage, directory, shards.Count, perWindow));
        var manifest = new TeacherManifest
        {
            TeacherSha256 = settings.TeacherSha256,
            TokenizerSha256 = settings.TokenizerSha256,
            DataSha256 = settings.DataSha256,
            VocabSize = vocab,
            K = settings.K,
            TopP = settings.TopP,
            Context = settings.Context,
            Storage = storage.Name,
            Count = count,
            Shards = shards,
        };
        File.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, TeacherManifestJsonContext.Default.TeacherManifest));
        return manifest;
    }

    /// <summary>Reads an export's manifest.</summary>
    /// <exception cref="InvalidDataException">The folder holds no manifest of this format.</exception>
    public static TeacherManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: no {ManifestFile}; not a teacher export");
        var manifest = JsonSerializer.Deserialize(File.ReadAllText(path), TeacherManifestJsonContext.Default.TeacherManifest);
        if (manifest is null || manifest.Format != TeacherManifest.FormatName)
            throw new InvalidDataException($"{path}: not a {TeacherManifest.FormatName} manifest");
        return manifest;
    }

    /// <summary>Every record of an export, shard by shard, in the order they were written.</summary>
    /// <param name="directory">The export's folder.</param>
    /// <param name="storage">The layout its manifest names; safetensors by default.</param>
    /// <exception cref="InvalidDataException">The manifest names another layout, or a shard is missing or does not match the manifest.</exception>
    public static IEnumerable<TeacherRecord> Read(string directory, ITeacherShardStorage? storage = null)
    {
        var manifest = ReadManifest(directory);
        storage ??= SafetensorsTeacherShards.Instance;
        if (manifest.Storage != storage.Name)
            throw new InvalidDataException($"{directory}: the export is stored as {manifest.Storage}; this reader reads {storage.Name}"
                + (manifest.Storage == "parquet" ? " (read Parquet exports with Transformer.Distillation.Parquet's ParquetTeacherExport.Read)" : ""));
        return ReadShards(directory, manifest, storage);
    }

    private static IEnumerable<TeacherRecord> ReadShards(string directory, TeacherManifest manifest, ITeacherShardStorage storage)
    {
        foreach (var shard in manifest.Shards)
        {
            string path = Path.Combine(directory, shard.File);
            if (!File.Exists(path)) throw new InvalidDataException($"{path}: shard named in {ManifestFile} is missing");
            var columns = storage.Read(path, shard.Count, manifest.K, manifest.Context - 1);
            for (int i = 0; i < columns.Count; i++) yield return columns.Record(i);
        }
    }

    /// <summary>SHA-256 of files, in the order given, as lowercase hex.</summary>
    public static string Sha256(IEnumerable<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        foreach (string path in files)
        {
            using var stream = File.OpenRead(path);
            int read;
            while ((read = stream.Read(chunk)) > 0) hash.AppendData(chunk, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The positions of the shard being filled.</summary>
    private sealed class ShardBuffer(int k, int capacity)
    {
        private readonly int[] _inputs = new int[capacity], _targets = new int[capacity], _ids = new int[capacity * k];
        private readonly Half[] _logProbabilities = new Half[capacity * k];
        private readonly float[] _logSumExp = new float[capacity], _tail = new float[capacity];

        public int Count { get; private set; }

        public void Add(int input, int target, ReadOnlySpan<float> logProbabilities, float logSumExp, float? topP, int[] order)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            var rows = logProbabilities.ToArray();
            // Highest first, ties to the lower id, so an export is reproducible.
            Array.Sort(order, (a, b) => rows[b] != rows[a] ? rows[b].CompareTo(rows[a]) : a.CompareTo(b));
            double kept = 0;
            int at = Count * k;
            for (int j = 0; j < k; j++)
            {
                bool cut = topP is { } p && kept >= p;
                _ids[at + j] = cut ? -1 : order[j];
                _logProbabilities[at + j] = cut ? Half.NegativeInfinity : (Half)rows[order[j]];
                if (!cut) kept += Math.Exp(rows[order[j]]);
            }
            _inputs[Count] = input;
            _targets[Count] = target;
            _logSumExp[Count] = logSumExp;
            _tail[Count] = (float)Math.Max(0, 1 - kept);
            Count++;
        }

        public TeacherShard Flush(ITeacherShardStorage storage, string directory, int index, int windowPositions)
        {
            string name = $"teacher-{index:D5}{storage.Extension}";
            int n = Count;
            storage.Write(Path.Combine(directory, name), new TeacherShardColumns(n, k, _inputs[..n], _targets[..n], _ids[..(n * k)],
                _logProbabilities[..(n * k)], _logSumExp[..n], _tail[..n]), windowPositions);
            Count = 0;
            return new TeacherShard(name, n);
        }
    }
}
