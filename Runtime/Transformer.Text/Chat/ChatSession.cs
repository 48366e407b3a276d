using System.Runtime.CompilerServices;
using System.Text;
using Transformer.ChatTemplates;
using Transformer.Runtime.Generation;

namespace Transformer.Text.Chat;

/// <summary>
/// A conversation with a model: each user turn is added to the history, the whole history is rendered with
/// the model's chat template (with the generation prompt), the reply is streamed and then kept as the
/// assistant's turn.
/// </summary>
/// <example>
/// <code>
/// using var model = LanguageModel.Load("models/qwen3");
/// var chat = new ChatSession(model, ChatTemplateLoader.Find("models/qwen3").Require());
/// await foreach (string piece in chat.SendAsync("Hello!", new GenerationOptions()))
///     Console.Write(piece);
/// </code>
/// </example>
public sealed class ChatSession
{
    private readonly LanguageModel _model;
    private readonly List<ChatMessage> _history;

    /// <summary>Starts a conversation, optionally from earlier messages (such as a system message).</summary>
    public ChatSession(LanguageModel model, ModelChatTemplate template, IEnumerable<ChatMessage>? history = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        _model = model;
        Template = template;
        _history = [.. history ?? []];
    }

    /// <summary>The template turns are rendered with.</summary>
    public ModelChatTemplate Template { get; }

    /// <summary>The messages so far.</summary>
    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>The prompt the model would continue after <paramref name="userText"/>: the history plus that turn, rendered with the generation prompt.</summary>
    /// <exception cref="ChatTemplateException">The template cannot render the conversation.</exception>
    public string PromptFor(string userText) =>
        Template.Render([.. _history, ChatMessage.User(userText)], addGenerationPrompt: true);

    /// <summary>
    /// Adds a user turn and streams the model's reply, which joins the history once complete. If generation
    /// fails or is cancelled, the history is left as it was.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template cannot render the conversation.</exception>
    public async IAsyncEnumerable<string> SendAsync(string userText, GenerationOptions options, GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(userText);
        ArgumentNullException.ThrowIfNull(options);
        string prompt = PromptFor(userText);
        var generation = options with
        {
            EchoPrompt = false,
            AddBos = ChatPrompt.NeedsBos(_model.Tokenizer, prompt, Template.AddBosToken),
        };

        var reply = new StringBuilder();
        await foreach (string piece in _model.GenerateAsync(prompt, generation, stats, cancellation).ConfigureAwait(false))
        {
            reply.Append(piece);
            yield return piece;
        }

        _history.Add(ChatMessage.User(userText));
        _history.Add(ChatMessage.Assistant(reply.ToString()));
    }
}
