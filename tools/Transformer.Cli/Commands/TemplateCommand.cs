using System.CommandLine;
using Transformer.ChatTemplates;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer template</c>: renders a chat request's messages with the model's chat template and prints the
/// prompt exactly (no newline added), which is what a chat completion would tokenize.
/// </summary>
public static class TemplateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true, "Model folder, or a folder holding only tokenizer files (tokenizer_config.json, chat_template.jinja)");
        var messages = new Option<string>("--messages")
        {
            Description = "Chat request body as JSON, as an OpenAI server accepts it (messages, tools, chat_template_kwargs)",
            Required = true,
            HelpName = "FILE.json",
        };
        var addGenerationPrompt = new Option<bool>("--add-generation-prompt") { Description = "End with the opening of the assistant's turn" };
        var chatTemplate = ChatOptions.ChatTemplate();
        var command = new Command("template", "Print the prompt a chat request renders to with the model's chat template")
        {
            model, messages, addGenerationPrompt, chatTemplate,
        };
        CommandAction.Set(command, context, (parsed, cancellation) =>
        {
            string modelPath = parsed.GetValue(model)!;
            ModelChatTemplate template = ChatOptions.FindTemplate(modelPath, parsed.GetValue(chatTemplate));
            ChatRequest request = ChatOptions.ReadRequest(parsed.GetValue(messages)!);
            context.Out.Write(template.Render(request, parsed.GetValue(addGenerationPrompt), cancellation: cancellation));
            return Task.FromResult(0);
        });
        return command;
    }
}
