namespace Transformer.ChatTemplates.Tests;

/// <summary>Parse and render errors are one exception type that names the template, the line, the column and the problem.</summary>
public sealed class ErrorMessageTests
{
    [Fact]
    public void A_parse_error_names_template_line_column_and_problem()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\n  {{ messages[0] + }}\n", "my.jinja"));

        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Equal((2, 20), (error.Line, error.Column));
        Assert.Equal("my.jinja: line 2, column 20: syntax error: unexpected 'end of print statement'", error.Message);
    }

    [Fact]
    public void An_unclosed_block_names_the_tag_it_waits_for_and_where_it_opened()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% for m in messages %}\n{% if m %}\nx\n{% endfor %}"));

        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Equal(4, error.Line);
        Assert.Contains("expected 'elif' or 'else' or 'endif' to close the 'if' opened at line 2", error.Message);
    }

    [Fact]
    public void An_unknown_filter_is_a_parse_error_at_its_name()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ x | frobnicate }}"));

        Assert.Equal((1, 8), (error.Line, error.Column));
        Assert.Contains("no filter named 'frobnicate'", error.Message);
    }

    [Fact]
    public void A_runtime_error_names_the_line_and_column_of_the_failing_expression()
    {
        var template = ChatTemplate.Parse("{% for m in messages %}\n  {{- m.content + 1 }}\n{% endfor %}", "t.jinja");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new ChatTemplateInput { Messages = [ChatMessage.User("hi")] }, TestContext.Current.CancellationToken));

        Assert.Equal(ChatTemplateErrorKind.Runtime, error.Kind);
        Assert.Equal((2, 17), (error.Line, error.Column));
        Assert.Equal("t.jinja: line 2, column 17: can only concatenate str (not \"int\") to str", error.Message);
    }

    [Fact]
    public void Raise_exception_carries_the_templates_own_message()
    {
        var template = ChatTemplate.Parse("{% if messages[0].role != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new ChatTemplateInput { Messages = [ChatMessage.Assistant("hi")] }, TestContext.Current.CancellationToken));

        Assert.Equal(ChatTemplateErrorKind.Raised, error.Kind);
        Assert.Equal("first message must be from the user", error.Problem);
        Assert.Contains("the chat template raised an error: first message must be from the user", error.Message);
    }

    [Fact]
    public void Using_an_undefined_value_says_which_one()
    {
        var template = ChatTemplate.Parse("{{ messages[0].nosuch.field }}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new ChatTemplateInput { Messages = [ChatMessage.User("hi")] }, TestContext.Current.CancellationToken));

        Assert.Equal("'dict object' has no attribute 'nosuch'", error.Problem);
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("- ", "")]
    [InlineData("not ", "")]
    [InlineData("[", "]")]
    public void Hostile_nesting_is_a_parse_error_not_a_stack_overflow(string open, string close)
    {
        string source = "{{ " + string.Concat(Enumerable.Repeat(open, 5000)) + "1" + string.Concat(Enumerable.Repeat(close, 5000)) + " }}";

        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));

        Assert.Contains("nested too deeply", error.Message);
    }

    [Fact]
    public void Runaway_macro_recursion_is_an_error_not_a_stack_overflow()
    {
        var template = ChatTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(), cancellation: TestContext.Current.CancellationToken));

        Assert.Contains("macro calls nested more than 200 deep", error.Message);
    }

    [Fact]
    public void Chat_template_kwargs_cannot_replace_the_messages()
    {
        var template = ChatTemplate.Parse("{{ messages|length }}");
        var input = new ChatTemplateInput
        {
            Messages = [ChatMessage.User("hi")],
            ExtraVariables = new Dictionary<string, System.Text.Json.Nodes.JsonNode?> { ["messages"] = null },
        };

        var error = Assert.Throws<ArgumentException>(() => template.Render(input, TestContext.Current.CancellationToken));

        Assert.Contains("may not set 'messages'", error.Message);
    }

    [Fact]
    public void A_cancelled_render_stops()
    {
        var template = ChatTemplate.Parse("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.ThrowsAny<OperationCanceledException>(() => template.Render(new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(), cancellation: cancellation.Token));
    }
}
