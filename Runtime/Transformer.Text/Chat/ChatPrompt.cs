using Transformer.Loader.Tokenization;

namespace Transformer.Text.Chat;

/// <summary>Turning a rendered chat prompt into tokens without doubling BOS.</summary>
public static class ChatPrompt
{
    /// <summary>
    /// Whether BOS must be put before <paramref name="prompt"/>: only when the tokenizer has one, the model's
    /// tokenizer_config.json does not say <c>add_bos_token: false</c>, and the prompt does not already begin
    /// with it. Templates such as Llama 3's and Gemma's write BOS themselves; adding another would give the
    /// model a prompt it was not trained on. (The prompt's special tokens, such as <c>&lt;|im_start|&gt;</c>,
    /// are encoded as their ids by the tokenizer itself.)
    /// </summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="prompt">The rendered template.</param>
    /// <param name="addBosToken">tokenizer_config.json's add_bos_token, or null when unknown.</param>
    public static bool NeedsBos(ITokenizer tokenizer, string prompt, bool? addBosToken)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        if (tokenizer.BosId is not int bos || addBosToken == false) return false;
        IReadOnlyList<int> ids = tokenizer.Encode(prompt, addBos: false);
        return ids.Count == 0 || ids[0] != bos;
    }

    /// <summary>The token ids of a rendered prompt, with BOS first exactly once when the model uses one.</summary>
    public static IReadOnlyList<int> Encode(ITokenizer tokenizer, string prompt, bool? addBosToken) =>
        tokenizer.Encode(prompt, NeedsBos(tokenizer, prompt, addBosToken));
}
