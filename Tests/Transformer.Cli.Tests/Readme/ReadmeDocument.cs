using System.Text.RegularExpressions;

namespace Transformer.Cli.Tests.Readme;

/// <summary>A fenced code block of the README: its language tag, its text and the line it starts on.</summary>
public sealed record FencedBlock(string Language, string Text, int Line);

/// <summary>
/// The repository's README.md, read the way its tests need it: the fenced code block right after each
/// <c>&lt;!-- readme-test: NAME --&gt;</c> marker. Markers, not headings or positions, find the blocks, so the
/// README can be rewritten around them freely; a marker without a fenced block under it fails the test naming it.
/// </summary>
public static partial class ReadmeDocument
{
    /// <summary>Markers the README keeps (see Tests/README.md).</summary>
    public const string Commands = "commands", CSharpExample = "csharp-example", Synopsis = "synopsis";

    public static string Path => System.IO.Path.Combine(RepositoryPaths.Root, "README.md");

    /// <summary>Every block marked <paramref name="marker"/>, in order; fails when there is none.</summary>
    public static IReadOnlyList<FencedBlock> Marked(string marker)
    {
        string[] lines = File.ReadAllLines(Path);
        var blocks = new List<FencedBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            var m = Marker().Match(lines[i]);
            if (!m.Success || m.Groups["name"].Value != marker) continue;
            int open = i + 1;
            while (open < lines.Length && lines[open].Trim().Length == 0) open++;
            var fence = open < lines.Length ? Fence().Match(lines[open]) : Match.Empty;
            Assert.True(fence.Success, $"README.md line {i + 1}: the marker <!-- readme-test: {marker} --> is not followed by a fenced code block");
            int close = Array.FindIndex(lines, open + 1, l => l.TrimEnd() == fence.Groups["fence"].Value);
            Assert.True(close > open, $"README.md line {open + 1}: the fenced block never closes");
            blocks.Add(new FencedBlock(fence.Groups["language"].Value, string.Join('\n', lines[(open + 1)..close]), open + 2));
        }
        Assert.True(blocks.Count > 0, $"README.md has no <!-- readme-test: {marker} --> marker; the README tests need it (see Tests/README.md)");
        return blocks;
    }

    [GeneratedRegex(@"^\s*<!--\s*readme-test:\s*(?<name>[\w-]+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^(?<fence>```+)\s*(?<language>[\w+#-]*)\s*$")]
    private static partial Regex Fence();
}
