using System.Text.Json;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Json;

namespace Transformer.Loader.Safetensors;

/// <summary>
/// A model split over several safetensors files, tied together by <c>model.safetensors.index.json</c>
/// (<c>{"weight_map": {"tensor name": "shard file name", ...}}</c>). Each shard is mapped once and the
/// whole set looks like one <see cref="IWeightSource"/>.
/// </summary>
public sealed class ShardedSafetensors : IWeightSource
{
    /// <summary>The conventional index file name written by Hugging Face.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly SafetensorsFile[] _shards;
    private readonly Dictionary<string, HostTensor> _byName;
    private readonly HostTensor[] _tensors;

    private ShardedSafetensors(string indexPath, SafetensorsFile[] shards, HostTensor[] tensors)
    {
        IndexPath = indexPath;
        _shards = shards;
        _tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The index file this was opened from.</summary>
    public string IndexPath { get; }

    /// <summary>The shard files, in the order the index first mentions them.</summary>
    public IReadOnlyList<SafetensorsFile> Shards => _shards;

    /// <inheritdoc/>
    public string Description => IndexPath;

    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors => _tensors;

    /// <summary>
    /// Opens every shard named by the index at <paramref name="indexPath"/> (shard names are resolved
    /// beside the index). Throws <see cref="ModelFormatException"/> for a malformed index, a missing
    /// shard, a tensor the index places in a shard that lacks it, or a tensor present in two shards.
    /// </summary>
    public static ShardedSafetensors Open(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        string directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;

        var shards = new List<SafetensorsFile>();
        try
        {
            var shardByFile = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (string file in weightMap.Values.Distinct(StringComparer.Ordinal))
            {
                string shardPath = Path.Combine(directory, file);
                if (!File.Exists(shardPath))
                    throw new ModelFormatException($"{indexPath}: shard file '{InputQuote.Cap(file)}' does not exist (looked for {shardPath})");
                var shard = SafetensorsFile.Open(shardPath);
                shards.Add(shard);
                shardByFile[file] = shard;
            }

            foreach (var (tensorName, file) in weightMap)
            {
                if (!shardByFile[file].TryGet(tensorName, out _))
                    throw new ModelFormatException($"{indexPath}: tensor '{InputQuote.Cap(tensorName)}' is mapped to shard '{InputQuote.Cap(file)}', which does not contain it");
            }

            // Collect from the shards themselves, so a tensor stored twice is caught even when the index lists it once.
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var tensors = new List<HostTensor>();
            foreach (var shard in shards)
            {
                foreach (var tensor in shard.Tensors)
                {
                    if (owner.TryGetValue(tensor.Name, out var first))
                        throw new ModelFormatException(
                            $"{indexPath}: tensor '{InputQuote.Cap(tensor.Name)}' appears in two shards: {first.FilePath} and {shard.FilePath}");
                    owner[tensor.Name] = shard;
                    tensors.Add(tensor);
                }
            }
            return new ShardedSafetensors(indexPath, shards.ToArray(), tensors.ToArray());
        }
        catch
        {
            foreach (var shard in shards) shard.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        // Views of an unmapped file would fault on first touch, so refuse to hand them out.
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _byName.TryGetValue(name, out tensor!);
    }

    private bool _disposed;

    /// <summary>Unmaps every shard.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var shard in _shards) shard.Dispose();
    }

    /// <summary>
    /// The shard file names an index lists, each once, in the order it first mentions them (what a downloader
    /// fetches after the index). Throws <see cref="ModelFormatException"/> for a malformed index.
    /// </summary>
    public static IReadOnlyList<string> ShardFiles(string indexPath) =>
        [.. ReadWeightMap(indexPath).Values.Distinct(StringComparer.Ordinal)];

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        using (var document = StrictJson.Parse(File.ReadAllBytes(indexPath), $"{indexPath}: "))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{indexPath}: expected an object with a 'weight_map' object of tensor name -> shard file");

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new ModelFormatException($"{indexPath}: weight_map entry '{InputQuote.Cap(entry.Name)}' must be a shard file name, found {entry.Value.ValueKind}");
                string file = entry.Value.GetString()!;
                // Shards live beside the index; anything else would let an index reach arbitrary files.
                if (file.Length == 0 || Path.GetFileName(file) != file)
                    throw new ModelFormatException($"{indexPath}: weight_map entry '{InputQuote.Cap(entry.Name)}' names '{InputQuote.Cap(file)}', which is not a plain file name");
                if (!weightMap.TryAdd(entry.Name, file))
                    throw new ModelFormatException($"{indexPath}: weight_map lists tensor '{InputQuote.Cap(entry.Name)}' twice");
            }
            if (weightMap.Count == 0)
                throw new ModelFormatException($"{indexPath}: weight_map is empty");
            return weightMap;
        }
    }
}
