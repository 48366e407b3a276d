using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;
using Transformer.Runtime.Evaluation;


namespace Transformer.Runtime.Distillation;

/// <summary>
/// Writes a teacher's top-k distributions at every position of a text as sharded safetensors plus
/// <c>manifest.json</c>, the layout trainers read (tools/distill has a PyTorch consumer), and reads them back.
/// Tensors per shard, N positions: <c>input_ids</c> i32[N], <c>target_ids</c> i32[N], <c>top_ids</c> i32[N, k],
/// <c>top_logprobs</c> f16[N, k], <c>logsumexp</c> f32[N], <c>tail_mass</c> f32[N].
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
        /// <summary>Positions per safetensors shard.</summary>
        public int PositionsPerShard { get; init; } = 65_536;
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
        Directory.CreateDirectory(directory);
        var shards = new List<TeacherShard>();
        var buffer = new ShardBuffer(settings.K, settings.PositionsPerShard);
        long count = 0;
        var order = new int[vocab];
        foreach (var position in PerplexityScorer.Score(teacher, tokens, bosId, chunks, progress, cancellation))
        {
            int input = position.Position == 0 ? bosId : tokens[position.Window * chunks.Stride + position.Position];
            buffer.Add(input, position.NextToken, position.LogProbabilities.Span, position.LogSumExp, settings.TopP, order);
            count++;
            if (buffer.Count == settings.PositionsPerShard) shards.Add(buffer.Flush(directory, shards.Count));
        }
        if (buffer.Count > 0) shards.Add(buffer.Flush(directory, shards.Count));
        var manifest = new TeacherManifest
        {
            TeacherSha256 = settings.TeacherSha256,
            TokenizerSha256 = settings.TokenizerSha256,
            DataSha256 = settings.DataSha256,
            VocabSize = vocab,
            K = settings.K,
            TopP = settings.TopP,
            Context = settings.Context,
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
    /// <exception cref="InvalidDataException">A shard is missing or its tensors do not match the manifest.</exception>
    public static IEnumerable<TeacherRecord> Read(string directory)
    {
        var manifest = ReadManifest(directory);
        int k = manifest.K;
        foreach (var shard in manifest.Shards)
        {
            using var file = SafetensorsFile.Open(Path.Combine(directory, shard.File));
            int n = shard.Count;
            var inputs = Tensor<int>(file, "input_ids", n);
            var targets = Tensor<int>(file, "target_ids", n);
            var ids = Tensor<int>(file, "top_ids", n * k);
            var logProbabilities = Tensor<Half>(file, "top_logprobs", n * k);
            var logSumExp = Tensor<float>(file, "logsumexp", n);
            var tail = Tensor<float>(file, "tail_mass", n);
            for (int i = 0; i < n; i++)
                yield return new TeacherRecord(inputs[i], targets[i], ids.AsSpan(i * k, k).ToArray(), logProbabilities.AsSpan(i * k, k).ToArray(), logSumExp[i], tail[i]);
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

    private static T[] Tensor<T>(SafetensorsFile file, string name, int elements) where T : unmanaged
    {
        if (!file.TryGet(name, out var tensor)) throw new InvalidDataException($"{file.FilePath}: no tensor '{name}'");
        var values = MemoryMarshal.Cast<byte, T>(tensor.Data.Span);
        if (values.Length != elements) throw new InvalidDataException($"{file.FilePath}: '{name}' holds {values.Length} values, the manifest implies {elements}");
        return values.ToArray();
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

        public TeacherShard Flush(string directory, int index)
        {
            string name = $"teacher-{index:D5}.safetensors";
            int n = Count;
            SafetensorsWriter.Write(Path.Combine(directory, name),
            [
                Host("input_ids", DType.I32, _inputs.AsSpan(0, n), n),
                Host("target_ids", DType.I32, _targets.AsSpan(0, n), n),
                Host("top_ids", DType.I32, _ids.AsSpan(0, n * k), n, k),
                Host("top_logprobs", DType.F16, _logProbabilities.AsSpan(0, n * k), n, k),
                Host("logsumexp", DType.F32, _logSumExp.AsSpan(0, n), n),
                Host("tail_mass", DType.F32, _tail.AsSpan(0, n), n),
            ]);
            Count = 0;
            return new TeacherShard(name, n);
        }

        private static HostTensor Host<T>(string name, DType type, ReadOnlySpan<T> values, params int[] shape) where T : unmanaged =>
            new(name, type, shape, MemoryMarshal.AsBytes(values).ToArray());
    }
}
