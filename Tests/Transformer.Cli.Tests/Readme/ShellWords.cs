using System.Text;

namespace Transformer.Cli.Tests.Readme;

/// <summary>
/// Splits a README command line the way a POSIX shell would for the forms the README uses: blanks separate words,
/// double and single quotes group them, a backslash escapes the next character. Anything fancier (variables,
/// pipes, redirections) is refused, so a README command the test cannot run faithfully fails loudly.
/// </summary>
public static class ShellWords
{
    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0'; else word.Append(c);
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else if (c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`') word.Append(line[++i]);
                else if (c is '$' or '`') throw new FormatException($"'{line}': variables and command substitution are not supported");
                else word.Append(c);
            }
            else if (c is ' ' or '\t')
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else if (c is '|' or '>' or '<' or ';' or '&' or '$' or '`' or '*' or '?')
            {
                throw new FormatException($"'{line}': shell syntax '{c}' is not supported in a tested README command");
            }
            else
            {
                inWord = true;
                if (c is '"' or '\'') quote = c;
                else if (c == '\\' && i + 1 < line.Length) word.Append(line[++i]);
                else word.Append(c);
            }
        }
        if (quote != '\0') throw new FormatException($"'{line}': unclosed {quote} quote");
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>The commands of a shell block: comment and blank lines dropped, backslash-continued lines joined.</summary>
    public static IReadOnlyList<string> Commands(string block)
    {
        var commands = new List<string>();
        var current = new StringBuilder();
        foreach (string raw in block.Split('\n'))
        {
            string line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            if (line.EndsWith('\\')) { current.Append(line[..^1]).Append(' '); continue; }
            commands.Add(current.Append(line).ToString().Trim());
            current.Clear();
        }
        if (current.Length > 0) commands.Add(current.ToString().Trim());
        return commands;
    }
}
