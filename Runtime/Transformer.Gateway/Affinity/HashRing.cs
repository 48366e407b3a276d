using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Transformer.Gateway.Affinity;

/// <summary>
/// A consistent-hash ring over replica ids: each replica owns many points, a key belongs to the first point at
/// or after its hash. Adding or removing a replica moves only the keys of its own points.
/// </summary>
internal sealed class HashRing
{
    /// <summary>Points per replica: enough that each owns close to an equal share of keys.</summary>
    private const int PointsPerReplica = 160;

    private readonly ulong[] _points;
    private readonly string[] _owners;

    public HashRing(IEnumerable<string> replicas)
    {
        var points = replicas
            .SelectMany(id => Enumerable.Range(0, PointsPerReplica).Select(i => (Point: Hash($"{id}#{i}"), Owner: id)))
            .OrderBy(p => p.Point).ThenBy(p => p.Owner, StringComparer.Ordinal)
            .ToArray();
        _points = [.. points.Select(p => p.Point)];
        _owners = [.. points.Select(p => p.Owner)];
        Replicas = [.. points.Select(p => p.Owner).Distinct().Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Replicas { get; }

    /// <summary>Every replica once, in the order the ring meets them going clockwise from <paramref name="key"/>.</summary>
    public IEnumerable<string> Walk(ulong key)
    {
        if (_points.Length == 0) yield break;
        int start = Array.BinarySearch(_points, key);
        if (start < 0) start = ~start;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _points.Length && seen.Count < Replicas.Count; i++)
        {
            string owner = _owners[(start + i) % _points.Length];
            if (seen.Add(owner)) yield return owner;
        }
    }

    private static ulong Hash(string text) => BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
