using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;

// Usage: PackageTestApp MODEL PROMPT MAX_TOKENS. Prints what `transformer run --temperature 0` prints:
// the prompt, then the greedy continuation as it streams.
if (args.Length != 3 || !int.TryParse(args[2], out int maxTokens))
{
    Console.Error.WriteLine("usage: PackageTestApp MODEL PROMPT MAX_TOKENS");
    return 2;
}

using var model = LanguageModel.Load(args[0]);
var options = new GenerationOptions { MaxNewTokens = maxTokens, Sampling = SamplingOptions.Greedy };
Console.Write(args[1]);
await foreach (string piece in model.GenerateAsync(args[1], options))
    Console.Write(piece);
return 0;
