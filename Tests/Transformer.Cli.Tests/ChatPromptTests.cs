using Transformer.ChatTemplates;
using Transformer.Tokenizers;
using Transformer.Text.Chat;

namespace Transformer.Cli.Tests;

/// <summary>
/// A rendered prompt's special tokens encode as their ids, and BOS is there exactly once: added when the
/// template does not write it, not added again when it does.
/// </summary>
public sealed class ChatPromptTests
{
    private static readonly IReadOnlyList<ChatMessage> Conversation =
        [ChatMessage.System("Be brief."), ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!"), ChatMessage.User("Bye")];

    [Fact]
    public void Llama3_writes_its_own_bos_and_its_header_tokens_encode_as_ids()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("llama3"), ChatTemplatePackages.SkipReason("llama3"));
        string folder = ChatTemplatePackages.ModelsFolder("llama3");
        var tokenizer = TokenizerLocator.Load(folder);
        var template = ChatTemplateLoader.Find(folder).Require();
        string prompt = template.Render(Conversation, addGenerationPrompt: true, cancellation: TestContext.Current.CancellationToken);

        IReadOnlyList<int> ids = ChatPrompt.Encode(tokenizer, prompt, template.AddBosToken);

        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system", prompt);
        Assert.Equal(128000, tokenizer.BosId);
        Assert.False(ChatPrompt.NeedsBos(tokenizer, prompt, template.AddBosToken));
        Assert.Equal([128000, 128006], ids.Take(2));
        Assert.Equal(1, ids.Count(id => id == 128000));
        Assert.Equal(5, ids.Count(id => id == 128006)); // <|start_header_id|>: four turns and the generation prompt
        Assert.Equal(4, ids.Count(id => id == 128009)); // <|eot_id|>
    }

    [Fact]
    public void Qwen3_has_no_bos_and_its_im_tokens_encode_as_ids()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("qwen3"), ChatTemplatePackages.SkipReason("qwen3"));
        string folder = ChatTemplatePackages.ModelsFolder("qwen3");
        var tokenizer = TokenizerLocator.Load(folder);
        var template = ChatTemplateLoader.Find(folder).Require();
        string prompt = template.Render(Conversation, addGenerationPrompt: true, cancellation: TestContext.Current.CancellationToken);

        IReadOnlyList<int> ids = ChatPrompt.Encode(tokenizer, prompt, template.AddBosToken);

        Assert.False(ChatPrompt.NeedsBos(tokenizer, prompt, template.AddBosToken));
        Assert.Equal(151644, ids[0]); // <|im_start|>
        Assert.Equal(5, ids.Count(id => id == 151644));
        Assert.Equal(4, ids.Count(id => id == 151645)); // <|im_end|>
        Assert.Equal(prompt, Decode(tokenizer, ids, tokenizer.EosIds.Concat([151644]).ToHashSet()));
    }

    [Fact]
    public void A_template_without_bos_gets_the_tokenizers_bos_once()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var tokenizer = TokenizerLocator.Load(SharedModels.Stories260K);
        var template = ChatTemplateLoader.Find(SharedModels.Stories260K, ChatFiles.ChatML).Require();
        string prompt = template.Render(Conversation, addGenerationPrompt: true, cancellation: TestContext.Current.CancellationToken);

        IReadOnlyList<int> ids = ChatPrompt.Encode(tokenizer, prompt, template.AddBosToken);

        Assert.True(ChatPrompt.NeedsBos(tokenizer, prompt, template.AddBosToken));
        Assert.Equal(1, ids[0]);
        Assert.Equal(1, ids.Count(id => id == 1));
    }

    [Fact]
    public void A_sentencepiece_model_whose_template_writes_bos_is_not_given_a_second_one()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var folder = new ScratchFolder();
        string model = folder.CopyOfStories260K();
        folder.Write("tokenizer_config.json", """{"bos_token": "<s>", "eos_token": "</s>"}""");
        var tokenizer = TokenizerLocator.Load(model);
        var template = ChatTemplateLoader.Find(model, ChatFiles.MistralStyle).Require();
        string prompt = template.Render(Conversation, addGenerationPrompt: true, cancellation: TestContext.Current.CancellationToken);

        IReadOnlyList<int> ids = ChatPrompt.Encode(tokenizer, prompt, template.AddBosToken);

        Assert.StartsWith("<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Bye [/INST]", prompt);
        Assert.False(ChatPrompt.NeedsBos(tokenizer, prompt, template.AddBosToken));
        Assert.Equal(1, ids[0]);
        Assert.Equal(1, ids.Count(id => id == 1));
        Assert.Equal(1, ids.Count(id => id == 2)); // the assistant turn's </s>
    }

    [Fact]
    public void Add_bos_token_false_in_the_config_is_respected()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var tokenizer = TokenizerLocator.Load(SharedModels.Stories260K);

        Assert.False(ChatPrompt.NeedsBos(tokenizer, "<|im_start|>user", addBosToken: false));
        Assert.True(ChatPrompt.NeedsBos(tokenizer, "<|im_start|>user", addBosToken: null));
    }

    private static string Decode(Transformer.Loader.Tokenization.ITokenizer tokenizer, IReadOnlyList<int> ids, HashSet<int> specials)
    {
        // Special tokens decode to nothing; spell them back so the text can be compared with the prompt.
        var text = new System.Text.StringBuilder();
        var bytes = new List<byte>();
        int previous = -1;
        foreach (int id in ids)
        {
            if (specials.Contains(id))
            {
                text.Append(System.Text.Encoding.UTF8.GetString([.. bytes]));
                bytes.Clear();
                text.Append(id == 151644 ? "<|im_start|>" : "<|im_end|>");
            }
            else
            {
                bytes.AddRange(tokenizer.DecodeBytes(previous, id).ToArray());
            }

            previous = id;
        }

        return text.Append(System.Text.Encoding.UTF8.GetString([.. bytes])).ToString();
    }
}
