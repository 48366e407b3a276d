using System.Globalization;
using System.Text.Json;
using LlamaCppFixtures;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

// llamacpp-fixtures OUTDIR [ARCH...]: for each decoder architecture writes OUTDIR/ARCH/{config.json, model.safetensors,
// reference.json}: random weights as our engine loads them, and llama.cpp's logits for the same weights (an F32
// GGUF written beside, then deleted) on fixed token ids. For each encoder, the weights are those of the PyTorch
// reference's fixture beside OUTDIR (OUTDIR/../ARCH, written by tools/reference), and OUTDIR/ARCH/reference.json
// holds llama.cpp's embeddings for that fixture's token ids. Tests compare against reference.json and need neither
// this tool nor llama.cpp.
FixtureArchitecture[] decoders = [new LlamaFixture(), new Qwen3Fixture(), new SmolLM3Fixture(), new Phi3Fixture(), GemmaFixture.Gemma2(), GemmaFixture.Gemma3()];
EncoderFixture[] encoders = [new BertFixture(), new NomicBertFixture()];
var names = decoders.Select(a => a.Name).Concat(encoders.Select(e => e.Name)).ToArray();
if (args.Length < 1)
{
    Console.Error.WriteLine($"usage: llamacpp-fixtures OUTDIR [{string.Join('|', names)}...]");
    return 2;
}
string outDir = args[0];
var wanted = args.Length > 1 ? args[1..] : names;
foreach (var n in wanted)
    if (!names.Contains(n)) throw new ArgumentException($"unknown architecture '{n}'");
LlamaCppReference.ConfigureLogging();

// Fixed ids spread over the vocabulary; 12 positions so RoPE turns every pair through several angles.
int[] tokens = [1, 17, 42, 5, 63, 30, 8, 21, 55, 2, 40, 11];
foreach (var arch in decoders.Where(a => wanted.Contains(a.Name)))
{
    string dir = Path.Combine(outDir, arch.Name);
    Directory.CreateDirectory(dir);
    File.WriteAllText(Path.Combine(dir, "config.json"), arch.ConfigJson + "\n");
    SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
        arch.Tensors.Select(t => HostTensor.FromFloats(t.Name, t.Values, t.Shape)));

    string gguf = Path.Combine(Path.GetTempPath(), $"fixture-{arch.Name}-{Environment.ProcessId}.gguf");
    try
    {
        LlamaCppReference.WriteGguf(arch, gguf);
        var logits = LlamaCppReference.Logits(gguf, tokens, arch.VocabSize, arch.LlamaCppContext);
        var reference = new
        {
            source = "llama.cpp through LLamaSharp 0.30.0 (native CPU build), F32 GGUF of model.safetensors, flash attention off, F32 KV; written by tools/LlamaCppFixtures",
            tokens,
            vocab = arch.VocabSize,
            logits,
        };
        File.WriteAllText(Path.Combine(dir, "reference.json"), JsonSerializer.Serialize(reference) + "\n");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{arch.Name}: {tokens.Length} positions x {arch.VocabSize} logits -> {dir}"));
    }
    finally
    {
        File.Delete(gguf);
    }
}
foreach (var encoder in encoders.Where(e => wanted.Contains(e.Name)))
{
    string dir = Path.Combine(outDir, encoder.Name);
    Directory.CreateDirectory(dir);
    var cases = EncoderReference.Run(encoder, Path.Combine(outDir, "..", encoder.Name));
    var reference = new
    {
        source = $"llama.cpp through LLamaSharp 0.30.0 (native CPU build), embeddings mode, F32 GGUF of ../../{encoder.Name}/model.safetensors, flash attention off; written by tools/LlamaCppFixtures",
        cases = cases.Select(c => new { token_ids = c.Tokens, last_hidden_state = c.States, mean = c.Mean }),
    };
    File.WriteAllText(Path.Combine(dir, "reference.json"), JsonSerializer.Serialize(reference) + "\n");
    Console.WriteLine($"{encoder.Name}: {cases.Count} sequences -> {dir}");
}
return 0;
