using Transformer.Loader.Tokenization;

namespace Transformer.Cli.Pruning;

/// <summary>
/// Calibration tokens read from a text file line by line, each line tokenized on its own (BOS before the first), until
/// <c>samples</c> windows of <c>ctx</c> tokens are filled or the file ends: memory is those token ids, however large the
/// file.
/// </summary>
public static class CalibrationText
{
    /// <summary>At most <paramref name="tokenLimit"/> tokens of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static IReadOnlyList<int> Read(string path, ITokenizer tokenizer, int tokenLimit)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such data file", path);
        var tokens = new List<int>();
        using var reader = new StreamReader(path);
        while (tokens.Count < tokenLimit && reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            tokens.AddRange(tokenizer.Encode(line + "\n", addBos: tokens.Count == 0));
        }
        if (tokens.Count > tokenLimit) tokens.RemoveRange(tokenLimit, tokens.Count - tokenLimit);
        return tokens;
    }
}
