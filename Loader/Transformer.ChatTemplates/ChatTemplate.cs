using System.Text.Json.Nodes;
using Transformer.ChatTemplates.Jinja;
using Transformer.ChatTemplates.Jinja.Builtins;
using Transformer.ChatTemplates.Jinja.Runtime;
using Transformer.ChatTemplates.Jinja.Syntax;

namespace Transformer.ChatTemplates;

/// <summary>
/// A parsed Hugging Face chat template: parse once, render many times (rendering is thread-safe).
/// <para>
/// The Jinja interpreter is written here rather than taken from a .NET Jinja library because none follows
/// Jinja2's semantics closely enough for prompts that must match Hugging Face's byte for byte: its
/// trim_blocks/lstrip_blocks whitespace rules, loop scoping, Undefined, Python's str/repr/json.dumps
/// formatting, and the sandbox's attribute lookup. It renders with transformers' settings:
/// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the loopcontrols extension,
/// <c>tojson</c> as <c>json.dumps(ensure_ascii=False)</c>, and the globals <c>raise_exception</c> and
/// <c>strftime_now</c>. Its outputs are tested against the real Jinja2 on real templates.
/// </para>
/// </summary>
public sealed class ChatTemplate
{
    private static readonly HashSet<string> ReservedVariables = ["messages", "tools", "documents", "add_generation_prompt"];

    private readonly IReadOnlyList<Stmt> _body;

    private ChatTemplate(string source, string name, IReadOnlyList<Stmt> body)
    {
        Source = source;
        Name = name;
        _body = body;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>Names the template in error messages (its file, or tokenizer_config.json).</summary>
    public string Name { get; }

    /// <summary>Parses a template.</summary>
    /// <param name="source">The Jinja source.</param>
    /// <param name="name">Names the template in error messages.</param>
    /// <exception cref="ChatTemplateException">The template does not parse; the message gives the line and column.</exception>
    public static ChatTemplate Parse(string source, string name = "chat template")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            return new ChatTemplate(source, name, Parser.Parse(source));
        }
        catch (TemplateError e)
        {
            throw ToPublic(e, name);
        }
    }

    /// <summary>Renders a conversation into the prompt text.</summary>
    /// <exception cref="ChatTemplateException">Rendering failed, or the template raised an error about the input.</exception>
    /// <exception cref="ArgumentException">Extra variables try to replace messages, tools, documents or add_generation_prompt.</exception>
    public string Render(ChatTemplateInput input, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (input.BosToken is not null) variables["bos_token"] = input.BosToken;
        if (input.EosToken is not null) variables["eos_token"] = input.EosToken;
        foreach (var (name, value) in input.ExtraVariables ?? new Dictionary<string, JsonNode?>())
        {
            if (ReservedVariables.Contains(name)) throw new ArgumentException($"extra template variables may not set '{name}'", nameof(input));
            variables[name] = value;
        }

        variables["messages"] = new JsonArray([.. input.Messages.Select(m => (JsonNode)m.ToJson())]);
        variables["tools"] = input.Tools?.DeepClone();
        variables["documents"] = null;
        variables["add_generation_prompt"] = input.AddGenerationPrompt;
        return Render(variables, input.Now, cancellation);
    }

    /// <summary>Renders with arbitrary variables (JSON values), besides the environment's globals.</summary>
    /// <exception cref="ChatTemplateException">Rendering failed, or the template raised an error.</exception>
    public string Render(IReadOnlyDictionary<string, JsonNode?> variables, DateTime? now = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var root = new Scope(Globals.CreateScope());
        foreach (var (name, value) in variables) root.Set(name, JsonValues.FromNode(value));
        try
        {
            return new Interpreter(now ?? DateTime.Now, cancellation).Render(_body, root);
        }
        catch (TemplateError e)
        {
            throw ToPublic(e, Name);
        }
    }

    private static ChatTemplateException ToPublic(TemplateError e, string name)
    {
        var position = e.Position ?? new SourcePosition(1, 1);
        return new ChatTemplateException(e.Kind, e.Message, name, position.Line, position.Column);
    }
}
