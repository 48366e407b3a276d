using FsCheck;
using FsCheck.Fluent;
using Transformer.Runtime.Generation;

namespace Transformer.Runtime.Tests;

public sealed class StopStringMatcherTests
{
    private static (string Text, bool Stopped) Run(IEnumerable<string> pieces, params string[] stops)
    {
        var matcher = new StopStringMatcher(stops);
        var text = new System.Text.StringBuilder();
        foreach (string piece in pieces)
        {
            text.Append(matcher.Push(piece, out bool stopped));
            if (stopped) return (text.ToString(), true);
        }
        return (text.Append(matcher.Drain()).ToString(), false);
    }

    [Fact]
    public void Text_before_the_first_stop_string_is_kept()
    {
        Assert.Equal(("Once upon", true), Run(["Once up", "on a t", "ime"], " a ", "time"));
    }

    /// <summary>
    /// Text over a four-letter alphabet (so stop strings occur in it), a stop string that is a slice of the text
    /// half of the time, and up to 20 cut points.
    /// </summary>
    private static Gen<(string Text, string Stop, int[] Cuts)> Cases =>
        from length in PropertyCoverage.Size(1, 200)
        from letters in Gen.Elements('a', 'b', 'c', ' ').ArrayOf(length)
        let text = new string(letters)
        from stopLength in PropertyCoverage.Size(1, 12)
        from sliceStart in Gen.Choose(0, length - 1)
        from fromText in Gen.Elements(true, false)
        from other in Gen.Elements('a', 'b', 'c', ' ', 'd').ArrayOf(stopLength)
        let stop = fromText ? text.Substring(sliceStart, Math.Min(stopLength, length - sliceStart)) : new string(other)
        from cutCount in PropertyCoverage.Size(0, 20)
        from cuts in Gen.Choose(0, length).ArrayOf(cutCount)
        select (text, stop, cuts);

    [Fact]
    public void Splitting_the_text_anywhere_gives_the_same_result()
    {
        var seen = PropertyCoverage.Check(Cases, 300, c =>
        {
            var points = c.Cuts.Append(0).Append(c.Text.Length).Distinct().Order().ToArray();
            var pieces = points.Zip(points.Skip(1), (a, b) => c.Text[a..b]);
            int at = c.Text.IndexOf(c.Stop, StringComparison.Ordinal);
            var expected = at >= 0 ? (c.Text[..at], true) : (c.Text, false);
            return Run(pieces, c.Stop) == expected;
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.Text.Length), 1, 200, "text length");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Cuts.Length), 0, 20, "cut points");
        int found = seen.Count(c => c.Text.Contains(c.Stop, StringComparison.Ordinal));
        Assert.True(found >= seen.Count / 3 && found <= seen.Count * 9 / 10, $"the stop string occurred in {found} of {seen.Count} texts");
        Assert.Contains(seen, c => c.Stop.Length >= 8 && c.Text.Contains(c.Stop, StringComparison.Ordinal));
    }
}
