using System.Text.Json;

namespace Transformer.Cli.Tests;

/// <summary>
/// <c>transformer tokenize</c> prints ids and pieces; the expected ids here are what Hugging Face's Rust tokenizers
/// give for the same files (tools/TokenizerParity), special tokens as its <c>encode</c> adds them.
/// </summary>
public sealed class TokenizeCommandTests
{
    private static string BertFolder => Path.Combine(ChatTemplatePackages.Root, "bert-base-uncased-vocab");

    private static (int[] Ids, string[] Pieces) ParseJson(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        return ([.. json.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
            [.. json.RootElement.GetProperty("pieces").EnumerateArray().Select(x => x.GetString()!)]);
    }

    [Fact]
    public async Task Bert_from_a_folder_holding_only_vocab_txt_adds_cls_and_sep_unless_no_special()
    {
        Assert.SkipUnless(File.Exists(Path.Combine(BertFolder, "vocab.txt")), $"{BertFolder} is not there (run .ci/tokenizer-parity-prereqs.sh)");

        var (ids, pieces) = ParseJson(await CliRun.InvokeAsync("tokenize", "--model", BertFolder, "--text", "Hello, world!", "--json"));
        var (plain, _) = ParseJson(await CliRun.InvokeAsync("tokenize", "--model", BertFolder, "--text", "Hello, world!", "--json", "--no-special"));

        Assert.Equal([101, 7592, 1010, 2088, 999, 102], ids);
        Assert.Equal(["[CLS]", "hello", ",", "world", "!", "[SEP]"], pieces);
        Assert.Equal([7592, 1010, 2088, 999], plain);
    }

    [Fact]
    public async Task Llama2s_tokenizer_json_adds_bos_and_spells_pieces_with_the_sentencepiece_space()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("llama2"), ChatTemplatePackages.SkipReason("llama2"));
        string folder = ChatTemplatePackages.ModelsFolder("llama2");

        var (ids, pieces) = ParseJson(await CliRun.InvokeAsync("tokenize", "--model", folder, "--text", "Hello world", "--json"));
        var (plain, _) = ParseJson(await CliRun.InvokeAsync("tokenize", "--model", folder, "--text", "Hello world", "--no-special", "--json"));

        Assert.Equal([1, 22557, 1526], ids);
        Assert.Equal(["<s>", "\u2581Hello", "\u2581world"], pieces);
        Assert.Equal([22557, 1526], plain);
    }

    [Fact]
    public async Task Qwen3_adds_nothing_and_the_table_shows_ids_then_each_piece_quoted()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("qwen3"), ChatTemplatePackages.SkipReason("qwen3"));

        var result = await CliRun.InvokeAsync("tokenize", "--model", ChatTemplatePackages.ModelsFolder("qwen3"), "--text", "Hello world\n<|im_end|>");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "9707 1879 198 151645\n" +
            "    9707  \"Hello\"\n" +
            "    1879  \"Ġworld\"\n" +
            "     198  \"Ċ\"\n" +
            "  151645  \"<|im_end|>\"\n",
            result.Output);
    }

    [Fact]
    public async Task A_sentencepiece_model_adds_bos_and_shows_decoded_pieces()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var (ids, pieces) = ParseJson(await CliRun.InvokeAsync("tokenize", "--model", SharedModels.Stories260K, "--text", "Once upon", "--json"));

        Assert.Equal(1, ids[0]);
        Assert.Equal("Once upon", string.Concat(pieces[1..]));
    }

    [Fact]
    public async Task A_folder_without_a_tokenizer_is_one_error_line()
    {
        using var folder = new ScratchFolder();

        var result = await CliRun.InvokeAsync("tokenize", "--model", folder.Path, "--text", "x");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: No tokenizer found for model", result.ErrorLines[0]);
    }
}
