using System.CommandLine;
using Transformer.ChatTemplates;

namespace Transformer.Cli;

/// <summary>What the <c>template</c> and <c>chat</c> commands share: the template option, finding the template, reading a request.</summary>
public static class ChatOptions
{
    /// <summary>--chat-template FILE: a Jinja template instead of the model's own.</summary>
    public static Option<string> ChatTemplate() => new("--chat-template")
    {
        Description = "Jinja chat template file to use instead of the model's (tokenizer_config.json chat_template or chat_template.jinja)",
        HelpName = "FILE",
    };

    /// <summary>The model's template (or <paramref name="templateFile"/>); a model without one is an error saying how to give one.</summary>
    public static ModelChatTemplate FindTemplate(string modelPath, string? templateFile)
    {
        if (!Directory.Exists(modelPath) && !File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such model folder or file", modelPath);
        ChatTemplateLookup lookup = ChatTemplateLoader.Find(modelPath, templateFile);
        return lookup.Template ?? throw new ChatTemplateNotFoundException($"{lookup.MissingReason}; pass one with --chat-template FILE");
    }

    /// <summary>A chat request body from a file; a malformed one is an error naming the file and the field.</summary>
    public static ChatRequest ReadRequest(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        try
        {
            return ChatRequest.Parse(File.ReadAllText(path));
        }
        catch (ChatRequestException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
