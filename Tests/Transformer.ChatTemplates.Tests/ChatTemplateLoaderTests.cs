using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Tests;

/// <summary>Finding a model's template and special tokens where Hugging Face keeps them.</summary>
public sealed class ChatTemplateLoaderTests
{
    private static readonly IReadOnlyList<ChatMessage> Hi = [ChatMessage.User("hi")];

    private static string Render(ModelChatTemplate template) => template.Render(Hi, addGenerationPrompt: false, cancellation: TestContext.Current.CancellationToken);

    [Fact]
    public void A_string_chat_template_and_string_tokens_come_from_tokenizer_config()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", "bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true}""");

        var template = ChatTemplateLoader.Find(folder.Path).Require();

        Assert.Equal("<s>hi</s>", Render(template));
        Assert.True(template.AddBosToken);
        Assert.Contains("tokenizer_config.json (chat_template)", template.Template.Name);
    }

    [Fact]
    public void Token_objects_give_their_content_and_a_file_path_finds_its_folder()
    {
        using var folder = new TempFolder();
        string config = folder.Write("tokenizer_config.json", """
            {"chat_template": "{{ bos_token }}|{{ eos_token }}", "bos_token": {"content": "<bos>", "lstrip": false}, "eos_token": {"__type": "AddedToken", "content": "<eos>"}}
            """);

        var template = ChatTemplateLoader.Find(config).Require();

        Assert.Equal("<bos>|<eos>", Render(template));
        Assert.Null(template.AddBosToken);
    }

    [Fact]
    public void A_list_of_named_templates_uses_the_default_one()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "default {{ messages|length }}"}]}""");

        Assert.Equal("default 1", Render(ChatTemplateLoader.Find(folder.Path).Require()));
    }

    [Fact]
    public void Named_templates_without_a_default_are_a_missing_template_naming_them()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "rag", "template": "rag"}]}""");

        var lookup = ChatTemplateLoader.Find(folder.Path);

        Assert.Null(lookup.Template);
        Assert.Contains("no default chat template", lookup.MissingReason);
        Assert.Contains("'tool_use', 'rag'", lookup.MissingReason);
    }

    [Fact]
    public void Chat_template_jinja_beside_the_config_takes_priority()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "from config", "eos_token": "</s>"}""");
        folder.Write("chat_template.jinja", "from file {{ eos_token }}\n");

        var template = ChatTemplateLoader.Find(folder.Path).Require();

        Assert.Equal("from file </s>", Render(template));
        Assert.EndsWith("chat_template.jinja", template.Template.Name);
    }

    [Fact]
    public void An_explicit_template_file_wins_and_keeps_the_models_tokens()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": "from config", "bos_token": "<s>"}""");
        string file = folder.Write("mine.jinja", "mine {{ bos_token }}");

        Assert.Equal("mine <s>", Render(ChatTemplateLoader.Find(folder.Path, file).Require()));
    }

    [Fact]
    public void A_model_without_a_template_gets_a_clear_has_no_chat_template_result()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"bos_token": "<s>"}""");

        var lookup = ChatTemplateLoader.Find(folder.Path);
        var error = Assert.Throws<ChatTemplateNotFoundException>(lookup.Require);

        Assert.Null(lookup.Template);
        Assert.Contains("has no chat template", error.Message);
        Assert.Contains("tokenizer_config.json has no chat_template", error.Message);
    }

    [Fact]
    public void A_folder_with_no_tokenizer_config_has_no_template()
    {
        using var folder = new TempFolder();

        Assert.Contains("no tokenizer_config.json", ChatTemplateLoader.Find(folder.Path).MissingReason);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"chat_template": 5}""", "chat_template must be a string or a list")]
    [InlineData("""{"chat_template": [{"name": "default"}]}""", "each chat_template entry must be")]
    [InlineData("""{"chat_template": "x", "bos_token": 3}""", "bos_token must be a string")]
    public void A_malformed_tokenizer_config_names_the_file_and_the_field(string config, string problem)
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", config);

        var error = Assert.Throws<InvalidDataException>(() => ChatTemplateLoader.Find(folder.Path));

        Assert.Contains("tokenizer_config.json", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_missing_template_file_and_a_broken_template_are_clear_errors()
    {
        using var folder = new TempFolder();
        string broken = folder.Write("broken.jinja", "{% for m in messages %}");

        Assert.Throws<FileNotFoundException>(() => ChatTemplateLoader.Find(folder.Path, Path.Combine(folder.Path, "absent.jinja")));
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplateLoader.Find(folder.Path, broken));
        Assert.Contains("broken.jinja: line 1", error.Message);
    }

    [Fact]
    public void The_real_qwen3_config_has_its_template_and_no_bos()
    {
        Assert.SkipUnless(ChatTemplatePackages.Available("qwen3"), ChatTemplatePackages.SkipReason("qwen3"));

        var template = ChatTemplateLoader.Find(ChatTemplatePackages.ModelsFolder("qwen3")).Require();

        Assert.Null(template.BosToken);
        Assert.Equal("<|im_end|>", template.EosToken);
        Assert.False(template.AddBosToken);
        Assert.StartsWith("<|im_start|>user\nhi<|im_end|>", Render(template));
    }
}
