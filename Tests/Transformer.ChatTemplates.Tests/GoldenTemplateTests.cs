using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates.Tests;

/// <summary>
/// Real chat templates (Llama 3, Qwen3, Gemma 3 from the pinned npm packages; this project's ChatML and
/// Mistral-style ones) over many conversations, each equal byte for byte to the real Jinja2's render
/// (tools/chat-templates/render_goldens.py). Templates are found the way a server finds them, through
/// <see cref="ChatTemplateLoader"/>, which also supplies the special tokens.
/// </summary>
public sealed class GoldenTemplateTests
{
    private static readonly Lazy<JsonObject> Golden = new(() => GoldenFile.Read("templates.json"));

    public static TheoryData<string, string> Cases() =>
        [.. Golden.Value["cases"]!.AsArray().Cast<JsonObject>().Select(c => ((string)c["template"]!, (string)c["name"]!))];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_as_jinja2_does(string template, string name)
    {
        JsonObject entry = Golden.Value["cases"]!.AsArray().Cast<JsonObject>().Single(c => (string)c["template"]! == template && (string)c["name"]! == name);
        ModelChatTemplate chat = Load(template);
        var request = ChatRequest.FromJson(new JsonObject
        {
            ["messages"] = entry["messages"]!.DeepClone(),
            ["tools"] = entry["tools"]?.DeepClone(),
            ["chat_template_kwargs"] = entry["chat_template_kwargs"]!.DeepClone(),
        });

        JinjaOutcome.Of(entry).Check(() => chat.Render(request, (bool)entry["add_generation_prompt"]!, TestFiles.GoldenNow));
    }

    /// <summary>The template and special tokens, from the loader, checked to be those the goldens were rendered from.</summary>
    private static ModelChatTemplate Load(string template)
    {
        JsonObject recorded = Golden.Value["templates"]![template]!.AsObject();
        ModelChatTemplate chat;
        if (recorded["package"] is not null)
        {
            Assert.SkipUnless(ChatTemplatePackages.Available(template), ChatTemplatePackages.SkipReason(template));
            string packageJson = Path.Combine(ChatTemplatePackages.ModelsFolder(template), "..", "package.json");
            string version = (string)JsonNode.Parse(File.ReadAllText(packageJson))!["version"]!;
            Assert.True(version == (string)recorded["version"]!,
                $"{recorded["package"]} {version} is installed but the goldens come from {recorded["version"]}; run .ci/chat-template-prereqs.sh or re-render the goldens");
            chat = ChatTemplateLoader.Find(ChatTemplatePackages.ModelsFolder(template)).Require();
        }
        else
        {
            // This project's templates have no tokenizer beside them: the tokens are the ones the goldens used.
            var loaded = ChatTemplateLoader.Find(AppContext.BaseDirectory, TestFiles.Template(Path.GetFileName((string)recorded["file"]!))).Require();
            chat = loaded with { BosToken = (string?)recorded["bos_token"], EosToken = (string?)recorded["eos_token"] };
        }

        Assert.Equal((string)recorded["sha256"]!, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(chat.Template.Source))));
        Assert.Equal((string?)recorded["bos_token"], chat.BosToken);
        Assert.Equal((string?)recorded["eos_token"], chat.EosToken);
        return chat;
    }
}
