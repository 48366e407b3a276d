"""Conversations rendered through each real template for the golden tests.

Messages are in the shape the C# side builds from an OpenAI request (ChatMessage.ToJson): role, content
(a string or a list of {"type": "text", "text": ...} parts), then reasoning_content, tool_calls
({"id", "type": "function", "function": {"name", "arguments"}}), name, tool_call_id when present.
"""


def msg(role, content, **extra):
    message = {"role": role, "content": content}
    message.update(extra)
    return message


def call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def parts(*texts):
    return [{"type": "text", "text": t} for t in texts]


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city, in °C.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}

TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "description": "The time now.", "parameters": {"type": "object", "properties": {}}},
}

SYSTEM = msg("system", "You are a helpful assistant.")
USER = msg("user", "Write a haiku about the sea.")
ASSISTANT = msg("assistant", "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time.")
USER_2 = msg("user", "  Now one about mountains.  ")
NON_ASCII = msg("user", "Grüße aus Zürich! 日本語で答えて 😀 — «ok» \u2028 tab\there")
NON_ASCII_REPLY = msg("assistant", "はい、わかりました。Ça va 👍")

TOOL_TURNS = [
    SYSTEM,
    msg("user", "What is the weather in Paris?"),
    msg("assistant", "", tool_calls=[call("call_1", "get_weather", {"city": "Paris", "unit": "celsius"})]),
    msg("tool", "{\"temperature\": 21, \"sky\": \"clear\"}", tool_call_id="call_1", name="get_weather"),
]

TOOL_TURNS_STRING_ARGS = [
    msg("user", "Weather in Oslo and the time?"),
    msg("assistant", "Let me check.", tool_calls=[
        call("call_a", "get_weather", "{\"city\": \"Oslo\"}"),
        call("call_b", "get_time", "{}"),
    ]),
    msg("tool", "{\"temperature\": -3}", tool_call_id="call_a"),
    msg("tool", "\"14:05\"", tool_call_id="call_b"),
    msg("assistant", "It is -3 °C in Oslo and 14:05."),
    msg("user", "Thanks!"),
]

THINKING_HISTORY = [
    msg("user", "What is 17 * 3?"),
    msg("assistant", "<think>\n17 * 3 = 51.\n</think>\n\nIt is 51."),
    msg("user", "And 51 + 9?"),
]

REASONING_FIELD = [
    msg("user", "Is 7 prime?"),
    msg("assistant", "Yes, 7 is prime.", reasoning_content="7 has no divisors other than 1 and 7."),
    msg("user", "And 9?"),
]


def case(name, messages, add_generation_prompt=True, tools=None, kwargs=None):
    return {
        "name": name,
        "messages": messages,
        "tools": tools,
        "add_generation_prompt": add_generation_prompt,
        "chat_template_kwargs": kwargs or {},
    }


COMMON = [
    case("system_user", [SYSTEM, USER]),
    case("system_user_no_generation_prompt", [SYSTEM, USER], add_generation_prompt=False),
    case("user_only", [USER]),
    case("multi_turn", [SYSTEM, USER, ASSISTANT, USER_2]),
    case("multi_turn_ends_with_assistant", [USER, ASSISTANT], add_generation_prompt=False),
    case("non_ascii", [NON_ASCII, NON_ASCII_REPLY, msg("user", "Merci — 谢谢")]),
]

CASES = {
    "llama3": COMMON + [
        case("tool_call_and_result", TOOL_TURNS),
        case("tool_calls_string_arguments", TOOL_TURNS_STRING_ARGS),
    ],
    "qwen3": COMMON + [
        case("tools_single_turn", [SYSTEM, msg("user", "What is the weather in Paris?")], tools=[WEATHER_TOOL, TIME_TOOL]),
        case("tools_without_system", [msg("user", "Time please")], tools=[TIME_TOOL]),
        case("tool_call_and_result", TOOL_TURNS, tools=[WEATHER_TOOL]),
        case("tool_calls_string_arguments", TOOL_TURNS_STRING_ARGS, tools=[WEATHER_TOOL, TIME_TOOL]),
        case("thinking_disabled", [USER], kwargs={"enable_thinking": False}),
        case("thinking_enabled", [USER], kwargs={"enable_thinking": True}),
        case("thinking_history_is_stripped", THINKING_HISTORY),
        case("thinking_history_disabled", THINKING_HISTORY, kwargs={"enable_thinking": False}),
        case("reasoning_content_field", REASONING_FIELD),
        case("last_assistant_keeps_thinking", THINKING_HISTORY[:2], add_generation_prompt=False),
        case("system_in_the_middle", [SYSTEM, USER, msg("system", "Be brief."), USER_2]),
    ],
    "gemma3": COMMON + [
        case("content_as_text_parts", [msg("system", parts("Answer in French.")), msg("user", parts("Hello", " there ")), msg("assistant", parts("Bonjour !")), msg("user", parts("Merci"))]),
        case("roles_must_alternate", [USER, msg("user", "again")]),
        case("assistant_first_is_refused", [ASSISTANT]),
    ],
    "chatml": COMMON + [
        case("content_as_text_parts", [msg("user", parts("part one, ", "part two"))]),
    ],
    "mistral": COMMON + [
        case("roles_must_alternate", [SYSTEM, USER, msg("user", "again")]),
        case("tool_role_is_refused", TOOL_TURNS),
    ],
}


# --- Seeded random conversations: odd whitespace, thinking markers, tool calls, non-ASCII, parts ---
import random

_PIECES = ["Hello", " world", "\n", "  ", "\t", "<think>", "</think>", "é", "中文", "😀", "<tool_response>",
           "</tool_response>", "{\"a\": 1}", "'quote'", "\"dq\"", "\\", "%s", "{{ x }}", "{% if %}", "\r\n", " - ", "42"]


def _text(rng):
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8)))


def _random_conversation(rng, template):
    messages = []
    if rng.random() < 0.5:
        messages.append(msg("system", _text(rng)))
    for turn in range(rng.randint(1, 4)):
        user = _text(rng)
        if template == "gemma3" and rng.random() < 0.5:
            messages.append(msg("user", parts(*[_text(rng) for _ in range(rng.randint(1, 3))])))
        else:
            messages.append(msg("user", user))
        if template in ("qwen3", "llama3") and rng.random() < 0.4:
            arguments = {"q": _text(rng), "n": rng.randint(-5, 5)} if rng.random() < 0.5 else "{\"q\": \"%s\"}" % rng.choice(["x", "é", "1"])
            messages.append(msg("assistant", _text(rng), tool_calls=[call(f"c{turn}", rng.choice(["get_weather", "get_time"]), arguments)]))
            messages.append(msg("tool", _text(rng), tool_call_id=f"c{turn}"))
        if rng.random() < 0.8 or turn == 0:
            extra = {"reasoning_content": _text(rng)} if template == "qwen3" and rng.random() < 0.3 else {}
            messages.append(msg("assistant", _text(rng), **extra))
    kwargs = {"enable_thinking": rng.choice([True, False])} if template == "qwen3" and rng.random() < 0.5 else {}
    tools = [WEATHER_TOOL, TIME_TOOL][: rng.randint(1, 2)] if template == "qwen3" and rng.random() < 0.5 else None
    return messages, tools, kwargs


for _template in CASES:
    _rng = random.Random(f"chat-template-goldens/{_template}")
    for _i in range(12):
        _messages, _tools, _kwargs = _random_conversation(_rng, _template)
        CASES[_template].append(case(f"random_{_i:02d}", _messages, add_generation_prompt=_rng.random() < 0.5, tools=_tools, kwargs=_kwargs))
