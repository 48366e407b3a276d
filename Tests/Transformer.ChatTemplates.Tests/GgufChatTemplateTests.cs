using Transformer.Loader.Gguf;

namespace Transformer.ChatTemplates.Tests;

/// <summary>A GGUF model file's template (<c>tokenizer.chat_template</c>) and the special tokens its ids name.</summary>
public sealed class GgufChatTemplateTests
{
    private static readonly IReadOnlyList<ChatMessage> Hi = [ChatMessage.User("hi")];

    private static string Gguf(TempFolder folder, string? template)
    {
        string path = System.IO.Path.Combine(folder.Path, "model.gguf");
        using var gguf = new GgufWriter(File.Create(path));
        gguf.Add("general.architecture", "llama");
        gguf.Add("tokenizer.ggml.model", "llama");
        gguf.Add("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "▁hi"]);
        gguf.Add("tokenizer.ggml.bos_token_id", 1u);
        gguf.Add("tokenizer.ggml.eos_token_id", 2u);
        gguf.Add("tokenizer.ggml.add_bos_token", false);
        if (template is not null) gguf.Add("tokenizer.chat_template", template);
        gguf.WriteHeader();
        return path;
    }

    [Fact]
    public void The_template_and_its_tokens_come_from_the_metadata()
    {
        using var folder = new TempFolder();
        var template = ChatTemplateLoader.Find(Gguf(folder, "{{ bos_token }}[{{ messages[0].content }}]{{ eos_token }}")).Require();
        Assert.Equal("<s>[hi]</s>", template.Render(Hi, addGenerationPrompt: false, cancellation: TestContext.Current.CancellationToken));
        Assert.False(template.AddBosToken);
        Assert.Contains("tokenizer.chat_template", template.Template.Name);
    }

    [Fact]
    public void A_file_without_a_template_says_so()
    {
        using var folder = new TempFolder();
        var lookup = ChatTemplateLoader.Find(Gguf(folder, null));
        Assert.Null(lookup.Template);
        Assert.Contains("has no tokenizer.chat_template", lookup.MissingReason);
    }
}
