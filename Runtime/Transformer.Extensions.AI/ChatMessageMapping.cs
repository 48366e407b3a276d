using Microsoft.Extensions.AI;
using TemplateMessage = Transformer.ChatTemplates.ChatMessage;

namespace Transformer.Extensions.AI;

/// <summary>Microsoft.Extensions.AI messages as the chat template renders them: role and text.</summary>
internal static class ChatMessageMapping
{
    public static List<TemplateMessage> ToTemplate(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var result = new List<TemplateMessage>();
        // ChatOptions.Instructions are system instructions for this call: they go first, as a system message.
        if (!string.IsNullOrEmpty(options?.Instructions)) result.Add(TemplateMessage.System(options.Instructions));
        int index = 0;
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, $"messages[{index}]");
            var unsupported = message.Contents.FirstOrDefault(c => c is not TextContent and not UsageContent and not TextReasoningContent);
            if (unsupported is not null)
                throw new NotSupportedException($"messages[{index}] holds {unsupported.GetType().Name}; this client takes text only");
            result.Add(new TemplateMessage { Role = message.Role.Value, Content = message.Text, Name = message.AuthorName });
            index++;
        }
        if (result.Count == 0) throw new ArgumentException("at least one message is needed", nameof(messages));
        return result;
    }
}
