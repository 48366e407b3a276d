using Transformer.Loader.Tokenization;

namespace Transformer.Cli.Pruning;

/// <summary>
/// Calibration tokens: the text tokenized as <c>eval ppl</c> tokenizes it (whole, BOS first), so the perplexities
/// <c>importance</c> reports are the ones <c>eval ppl</c> prints for the same windows; the first <c>samples</c> windows
/// are kept. The activation statistics stream window by window; the text and its ids are what stays in memory.
/// </summary>
public static class CalibrationText
{
    /// <summary>At most <paramref name="tokenLimit"/> tokens of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static IReadOnlyList<int> Read(string path, ITokenizer tokenizer, int tokenLimit)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such data file", path);
        var tokens = tokenizer.Encode(File.ReadAllText(path), addBos: true);
        return tokens.Count <= tokenLimit ? tokens : [.. tokens.Take(tokenLimit)];
    }
}
