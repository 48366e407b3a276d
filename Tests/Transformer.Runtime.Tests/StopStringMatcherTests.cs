using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
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

    [Property(MaxTest = 300)]
    public Property Splitting_the_text_anywhere_gives_the_same_result(NonEmptyString text, NonEmptyString stop, int[] cuts)
    {
        string whole = text.Get;
        var points = cuts.Select(c => Math.Abs(c % (whole.Length + 1))).Append(0).Append(whole.Length).Distinct().Order().ToArray();
        var pieces = points.Zip(points.Skip(1), (a, b) => whole[a..b]);
        int at = whole.IndexOf(stop.Get, StringComparison.Ordinal);
        var expected = at >= 0 ? (whole[..at], true) : (whole, false);
        return (Run(pieces, stop.Get) == expected).ToProperty();
    }
}
