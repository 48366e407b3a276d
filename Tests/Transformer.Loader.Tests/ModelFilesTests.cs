using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Llama2c;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;
using Transformer.Tests.Shared;

namespace Transformer.Loader.Tests;

public sealed class ModelFilesTests
{
    private const string TinyConfig = """
        {"model_type": "llama", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
         "num_attention_heads": 2, "vocab_size": 10, "max_position_embeddings": 16}
        """;

    private static readonly HostTensor Embedding = SafetensorsBytes.Pattern("model.embed_tokens.weight", DType.F32, 10, 8);

    [Fact]
    public void Folder_with_config_and_model_safetensors()
    {
        using var dir = new TempDirectory();
        dir.WriteText("config.json", TinyConfig);
        SafetensorsWriter.Write(dir.File("model.safetensors"), [Embedding]);
        using var model = ModelFiles.Open(dir.Path);
        Assert.Equal(ModelFileFormat.Safetensors, model.Format);
        Assert.Equal(8, model.Config.HiddenSize);
        Assert.Equal(Path.GetFullPath(dir.Path), model.Directory);
        model.Weights.Get("model.embed_tokens.weight", 10, 8);
    }

    [Fact]
    public void Folder_with_a_single_differently_named_safetensors_file_and_the_file_itself()
    {
        using var dir = new TempDirectory();
        dir.WriteText("config.json", TinyConfig);
        string file = dir.File("weights.safetensors");
        SafetensorsWriter.Write(file, [Embedding]);
        using (var model = ModelFiles.Open(dir.Path))
            Assert.Equal(file, ((SafetensorsFile)model.Weights).FilePath);
        using (var model = ModelFiles.Open(file))
            Assert.Equal(ModelFileFormat.Safetensors, model.Format);
    }

    [Fact]
    public void Folder_with_a_shard_index_prefers_it()
    {
        using var dir = new TempDirectory();
        dir.WriteText("config.json", TinyConfig);
        SafetensorsWriter.Write(dir.File("model-00001-of-00001.safetensors"), [Embedding]);
        dir.WriteText(ShardedSafetensors.IndexFileName,
            """{"weight_map": {"model.embed_tokens.weight": "model-00001-of-00001.safetensors"}}""");
        using var model = ModelFiles.Open(dir.Path);
        Assert.Equal(ModelFileFormat.ShardedSafetensors, model.Format);
        model.Weights.Get("model.embed_tokens.weight", 10, 8);
    }

    [Fact]
    public void Several_safetensors_without_an_index_are_ambiguous()
    {
        using var dir = new TempDirectory();
        dir.WriteText("config.json", TinyConfig);
        SafetensorsWriter.Write(dir.File("a.safetensors"), [Embedding]);
        SafetensorsWriter.Write(dir.File("b.safetensors"), [Embedding]);
        Assert.Contains("2 *.safetensors files but no model.safetensors.index.json",
            Assert.Throws<ModelFormatException>(() => ModelFiles.Open(dir.Path)).Message);
    }

    [Fact]
    public void Safetensors_without_config_json_is_explained()
    {
        using var dir = new TempDirectory();
        string file = dir.File("model.safetensors");
        SafetensorsWriter.Write(file, [Embedding]);
        Assert.Contains("need a config.json beside them", Assert.Throws<ModelFormatException>(() => ModelFiles.Open(file)).Message);
    }

    [Fact]
    public void Folder_without_config_picks_the_one_llama2c_checkpoint_among_other_bin_files()
    {
        using var dir = new TempDirectory();
        var header = new Llama2cHeader(8, 12, 1, 2, 2, 10, 4);
        string checkpoint = dir.WriteBytes("model.bin", Llama2cBytes.Checkpoint(header));
        dir.WriteBytes("tokenizer.bin", [7, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
        using var model = ModelFiles.Open(dir.Path);
        Assert.Equal(ModelFileFormat.Llama2c, model.Format);
        Assert.Equal(checkpoint, ((Llama2cCheckpoint)model.Weights).FilePath);
        Assert.Equal(RopeStyle.InterleavedPairs, model.Config.RopeStyle);
    }

    [Fact]
    public void An_empty_folder_says_what_was_looked_for()
    {
        using var dir = new TempDirectory();
        string message = Assert.Throws<ModelFormatException>(() => ModelFiles.Open(dir.Path)).Message;
        Assert.Contains("no model found", message);
        Assert.Contains("config.json", message);
        Assert.Contains("model.safetensors", message);
        Assert.Contains("llama2.c *.bin", message);
    }

    [Fact]
    public void Missing_paths_and_unknown_extensions_are_rejected()
    {
        using var dir = new TempDirectory();
        Assert.Contains("no such file or folder",
            Assert.Throws<ModelFormatException>(() => ModelFiles.Open(dir.File("absent"))).Message);
        string other = dir.WriteText("weights.txt", "hello");
        Assert.Contains("not a model file", Assert.Throws<ModelFormatException>(() => ModelFiles.Open(other)).Message);
    }

    [Fact]
    public void Stories260K_folder_opens_the_safetensors_and_the_bin_opens_as_llama2c()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using (var folder = ModelFiles.Open(SharedModels.Stories260K))
        {
            Assert.Equal(ModelFileFormat.Safetensors, folder.Format);
            Assert.Equal(RopeStyle.RotateHalf, folder.Config.RopeStyle);
            Assert.Equal(47, folder.Weights.Tensors.Count);
        }
        using var bin = ModelFiles.Open(SharedModels.Stories260KFile("stories260K.bin"));
        Assert.Equal(ModelFileFormat.Llama2c, bin.Format);
        Assert.Equal(47, bin.Weights.Tensors.Count);
        Assert.False(Llama2cCheckpoint.IsCheckpoint(SharedModels.Stories260KFile("tok512.bin")));
    }

    [Fact]
    public void Every_runtime_fixture_opens_with_the_shapes_its_config_implies()
    {
        string fixtures = SourceTree.RuntimeFixtures;
        Assert.SkipUnless(Directory.Exists(fixtures), $"runtime fixtures not found at {fixtures}");
        var folders = Directory.GetDirectories(fixtures).Where(d => File.Exists(Path.Combine(d, "config.json"))).ToArray();
        Assert.NotEmpty(folders);
        foreach (string folder in folders)
        {
            if (Config.EncoderConfigReader.IsEncoderFolder(folder))
            {
                // An encoder opens through EncoderFiles; the decoder loader refuses it (BertConfigTests).
                using var encoder = EncoderFiles.Open(folder);
                var e = encoder.Config;
                encoder.Weights.Get("embeddings.word_embeddings.weight", e.VocabSize, e.HiddenSize);
                if (e is Config.NomicBertConfig)
                    encoder.Weights.Get($"encoder.layers.{e.NumLayers - 1}.mlp.fc2.weight", e.HiddenSize, e.IntermediateSize);
                else
                    encoder.Weights.Get($"encoder.layer.{e.NumLayers - 1}.output.dense.weight", e.HiddenSize, e.IntermediateSize);
                continue;
            }
            using var model = ModelFiles.Open(folder);
            var c = model.Config;
            model.Weights.Get("model.embed_tokens.weight", c.VocabSize, c.HiddenSize);
            for (int layer = 0; layer < c.NumLayers; layer++)
            {
                string prefix = $"model.layers.{layer}";
                model.Weights.Get($"{prefix}.self_attn.q_proj.weight", c.QueryWidth, c.HiddenSize);
                model.Weights.Get($"{prefix}.self_attn.k_proj.weight", c.KvWidth, c.HiddenSize);
                model.Weights.Get($"{prefix}.self_attn.o_proj.weight", c.HiddenSize, c.QueryWidth);
                model.Weights.Get($"{prefix}.mlp.down_proj.weight", c.HiddenSize, c.IntermediateSize);
                if (c.OutputProjectionBias) model.Weights.Get($"{prefix}.self_attn.o_proj.bias", c.HiddenSize);
            }
            Assert.Equal(!c.TieWordEmbeddings, model.Weights.TryGet("lm_head.weight", out _));
        }
    }
}
