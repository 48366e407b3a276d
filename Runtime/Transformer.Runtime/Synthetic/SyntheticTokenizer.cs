using System.Globalization;
using System.Text;
using Transformer.Loader.Tokenization;

namespace Transformer.Runtime.Synthetic;

/// <summary>
/// The vocabulary of a synthetic preset, which has weights but no tokenizer: token i is the text
/// <c>" t{i}"</c>. Every id decodes to whole ASCII characters, so a server streams exactly one piece per
/// token, and there is no BOS or EOS, so generation runs to its token limit, as a benchmark needs.
/// </summary>
public sealed class SyntheticTokenizer : ITokenizer
{
    private readonly byte[][] _pieces;

    /// <summary>A vocabulary of <paramref name="vocabSize"/> ids.</summary>
    public SyntheticTokenizer(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _pieces = new byte[vocabSize][];
        for (int i = 0; i < vocabSize; i++) _pieces[i] = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" t{i}"));
    }

    /// <inheritdoc/>
    public int VocabSize => _pieces.Length;

    /// <inheritdoc/>
    public int? BosId => null;

    /// <inheritdoc/>
    public IReadOnlyList<int> EosIds => [];

    /// <summary>The ids of the words <c>t{i}</c> of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">A word is not <c>t</c> followed by an id of this vocabulary.</exception>
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        var ids = new List<int>();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Length < 2 || word[0] != 't' || !int.TryParse(word.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= VocabSize)
                throw new ArgumentException($"'{(word.Length > 20 ? word[..20] + "..." : word)}' is not a token of the synthetic vocabulary (t0 ... t{VocabSize - 1})", nameof(text));
            ids.Add(id);
        }
        return ids;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary [0, {VocabSize})");
        return _pieces[token];
    }
}
