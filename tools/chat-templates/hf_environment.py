"""The Jinja2 environment Hugging Face transformers renders chat templates with.

Mirrors transformers' chat template compilation (src/transformers/utils/chat_template_utils.py):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the loopcontrols extension and
the AssistantTracker extension's {% generation %} tag, tojson replaced by json.dumps(ensure_ascii=False, ...),
and the globals raise_exception and strftime_now. The one deliberate difference: strftime_now reads a
fixed clock (FIXED_NOW) instead of datetime.now(), so the golden renders are reproducible.
"""
import json
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The local time strftime_now reports in the goldens; the C# tests pass the same time.
FIXED_NOW = datetime(2025, 3, 14, 9, 26, 53)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers replaces Jinja2's tojson, which HTML-escapes, with plain json.dumps.
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return FIXED_NOW.strftime(format)


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: transformers uses it to find assistant text; it renders the body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def template_line(error):
    """The template line a render error happened on, from the traceback Jinja2 rewrites onto the template."""
    line = getattr(error, "lineno", None)
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(env, source, variables):
    """{"expected": text} or {"error": {"type", "message", "line"}}: what Jinja2 does with the template."""
    try:
        return {"expected": env.from_string(source).render(**variables)}
    except Exception as error:  # every failure is recorded: the C# side must fail the same way
        return {"error": {"type": type(error).__name__, "message": str(error), "line": template_line(error)}}
