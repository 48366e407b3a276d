using System.Text.Json.Nodes;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Safetensors;

namespace Transformer.Runtime.Tests;

/// <summary>
/// A Gemma 3 multimodal checkpoint (<c>Gemma3ForConditionalGeneration</c>: the text config nested in
/// <c>text_config</c>, the language model's tensors under <c>model.language_model.</c>) runs its language model
/// exactly as the same weights stored as a text-only <c>gemma3_text</c> model.
/// </summary>
public sealed class GemmaCheckpointLayoutTests
{
    [Fact]
    public void A_gemma3_multimodal_checkpoint_runs_its_language_model_bit_for_bit()
    {
        string text = TestModels.Fixture(Path.Combine("llamacpp", "gemma3"));
        string folder = Path.Combine(Path.GetTempPath(), $"gemma3-nested-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var textConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(text, "config.json")))!.AsObject();
            textConfig.Remove("architectures");
            var nested = new JsonObject
            {
                ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
                ["model_type"] = "gemma3",
                ["text_config"] = textConfig,
                ["vision_config"] = new JsonObject { ["model_type"] = "siglip_vision_model" },
            };
            File.WriteAllText(Path.Combine(folder, "config.json"), nested.ToJsonString());
            using (var files = ModelFiles.Open(text))
            {
                var renamed = files.Weights.Tensors
                    .Select(t => new HostTensor("model.language_model." + t.Name["model.".Length..], t.Type, t.Shape, t.Data.ToArray()))
                    .ToArray();
                SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), renamed);
            }

            int[] tokens = [1, 17, 42, 5, 63, 30, 8, 21, 55, 2, 40, 11];
            using var original = TestModels.LoadFamily(text);
            using var multimodal = TestModels.LoadFamily(folder);
            Assert.Equal(TestModels.AllLogits(original, tokens), TestModels.AllLogits(multimodal, tokens));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
