using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Tokenizers.Gguf;

namespace Transformer.Fuzz.Targets;

/// <summary>
/// A whole GGUF file: header, typed metadata, tensor descriptors and the data region they place; then, as far as
/// the file gets, the tokenizer in its metadata and the model (config, weights under Hugging Face names).
/// </summary>
internal sealed class GgufTarget : FuzzTarget
{
    public override string Name => "gguf";

    public override string Description =>
        "GgufFile.Open on the input as model.gguf, every metadata value and tensor byte read; then GgufTokenizer (encode + decode) and ModelFiles.Open with every weight read";

    public override void Run(byte[] input)
    {
        string path = ScratchDirectory.Write("model.gguf", input);
        using (var file = GgufFile.Open(path))
        {
            long sum = 0;
            foreach (string key in file.Metadata.Keys)
                sum += file.Metadata.TryGet(key, out var value) ? value.Count + value.ToString().Length : 0;
            foreach (var tensor in file.Tensors)
                foreach (byte b in file.Data(tensor).Span) sum += b;
            GC.KeepAlive(sum);

            // A file may hold a good tokenizer and a bad model, or the reverse: each part fails on its own.
            try
            {
                TokenizerUse.Exercise(GgufTokenizer.FromFile(file), path);
            }
            catch (ModelFormatException)
            {
            }
        }

        using var model = ModelFiles.Open(path);
        model.Config.Validate(path);
        TensorViews.ReadAll(model.Weights);
    }
}
