using System.Diagnostics;
using System.Globalization;
using Transformer.Tokenizers;

// encode-speed EXCERPT.txt NAME=FOLDER ...: the engine's encode time, without special tokens, of the excerpt repeated
// 100 times (~3 MB, one call), as speed.mjs times Hugging Face's Rust tokenizers on the same text: the median of 5
// runs after a warm-up, one line per tokenizer in speed.mjs's format.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: encode-speed EXCERPT.txt NAME=TOKENIZER_FOLDER ...");
    return 2;
}

string text = string.Concat(Enumerable.Repeat(File.ReadAllText(args[0]), 100));
foreach (string spec in args[1..])
{
    int eq = spec.IndexOf('=', StringComparison.Ordinal);
    if (eq <= 0)
    {
        Console.Error.WriteLine($"'{spec}' is not NAME=FOLDER");
        return 2;
    }

    var tokenizer = (IHuggingFaceTokenizer)TokenizerLocator.Load(spec[(eq + 1)..]);
    int ids = tokenizer.EncodeWithSpecialTokens(text, addSpecialTokens: false).Count;
    var ms = new List<double>();
    for (int run = 0; run < 5; run++)
    {
        var clock = Stopwatch.StartNew();
        ids = tokenizer.EncodeWithSpecialTokens(text, addSpecialTokens: false).Count;
        ms.Add(clock.Elapsed.TotalMilliseconds);
    }

    ms.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{spec[..eq]}: large text {text.Length / 1e6:f2} M chars, {ids} ids: {ms[2]:f1} ms ({text.Length / 1e3 / ms[2]:f2} MB/s)"));
}

return 0;
