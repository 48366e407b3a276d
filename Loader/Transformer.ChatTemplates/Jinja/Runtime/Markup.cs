using System.Text;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// markupsafe's <c>Markup</c> rules, which apply even with autoescape off (Hugging Face's setting): what is
/// added to a Markup string, or formatted into one, is HTML-escaped first. Only <c>|safe</c> and
/// <c>|escape</c> make Markup, so templates that use neither never see it.
/// </summary>
internal static class Markup
{
    /// <summary>The text of <paramref name="value"/> as it joins a Markup string: Markup as is, anything else escaped.</summary>
    public static string Escape(StringValue value) => value.IsMarkup ? value.Value : EscapeText(value.Value);

    /// <summary>markupsafe's <c>escape</c>: &amp; &lt; &gt; ' " become entities.</summary>
    public static string EscapeText(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>'\"") < 0) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            escaped.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\'' => "&#39;",
                '"' => "&#34;",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
