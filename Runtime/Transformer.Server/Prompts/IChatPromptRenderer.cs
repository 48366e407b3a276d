using System.Text.Json.Nodes;
using Transformer.Loader.Tokenization;

namespace Transformer.Server.Prompts;

/// <summary>Turns a chat request body (messages, tools, chat_template_kwargs) into the prompt text the model continues.</summary>
internal interface IChatPromptRenderer
{
    /// <summary>Renders the conversation; throws <see cref="Api.ApiException"/> (400, naming the field) when it cannot.</summary>
    ChatPrompt Render(JsonObject body, bool addGenerationPrompt, CancellationToken cancellation);
}

/// <summary>Rendered prompt text, and tokenizer_config.json's <c>add_bos_token</c> (null when it does not say).</summary>
internal sealed record ChatPrompt(string Text, bool? AddBosToken)
{
    /// <summary>
    /// The prompt's token ids. Templates that write BOS themselves (Llama 3, Mistral, Gemma) get it from the
    /// text, which the tokenizers encode as the BOS id; for the others BOS is put first unless the tokenizer
    /// config says not to, so a prompt never starts with two.
    /// </summary>
    public IReadOnlyList<int> Encode(ITokenizer tokenizer)
    {
        var tokens = tokenizer.Encode(Text, addBos: false);
        if (tokenizer.BosId is not { } bos || AddBosToken == false || (tokens.Count > 0 && tokens[0] == bos)) return tokens;
        return [bos, .. tokens];
    }
}
