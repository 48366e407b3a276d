using System.Text;

namespace Transformer.Runtime.Generation;

/// <summary>
/// Holds back just enough generated text to recognise a stop string that arrives split across
/// tokens, and releases the rest.
/// </summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stopStrings)
{
    private readonly int _holdBack = stopStrings.Count == 0 ? 0 : stopStrings.Max(s => s.Length) - 1;
    private readonly StringBuilder _pending = new();

    /// <summary>Adds text; returns what can be emitted. Sets stopped when a stop string appeared (it and what follows are dropped).</summary>
    public string Push(string text, out bool stopped)
    {
        _pending.Append(text);
        string pending = _pending.ToString();
        int cut = -1;
        foreach (string stop in stopStrings)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        stopped = cut >= 0;
        if (stopped)
        {
            _pending.Clear();
            return pending[..cut];
        }
        int release = Math.Max(0, pending.Length - _holdBack);
        _pending.Remove(0, release);
        return pending[..release];
    }

    /// <summary>Everything still held back (at the end of generation).</summary>
    public string Drain()
    {
        string rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
