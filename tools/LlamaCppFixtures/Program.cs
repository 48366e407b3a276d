using System.Globalization;
using System.Text.Json;
using LlamaCppFixtures;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

// llamacpp-fixtures OUTDIR [ARCH...]: for each architecture writes OUTDIR/ARCH/{config.json, model.safetensors,
// reference.json}: random weights as our engine loads them, and llama.cpp's logits for the same weights (an F32
// GGUF written beside, then deleted) on fixed token ids. Tests compare against reference.json and need neither
// this tool nor llama.cpp.
FixtureArchitecture[] all = [new LlamaFixture(), new Qwen3Fixture(), new SmolLM3Fixture(), new Phi3Fixture(), GemmaFixture.Gemma2(), GemmaFixture.Gemma3()];
if (args.Length < 1)
{
    Console.Error.WriteLine($"usage: llamacpp-fixtures OUTDIR [{string.Join('|', all.Select(a => a.Name))}...]");
    return 2;
}
string outDir = args[0];
var chosen = args.Length > 1 ? args[1..].Select(n => all.FirstOrDefault(a => a.Name == n) ?? throw new ArgumentException($"unknown architecture '{n}'")).ToArray() : all;
LlamaCppReference.ConfigureLogging();

// Fixed ids spread over the vocabulary; 12 positions so RoPE turns every pair through several angles.
int[] tokens = [1, 17, 42, 5, 63, 30, 8, 21, 55, 2, 40, 11];
foreach (var arch in chosen)
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
return 0;
