#!/usr/bin/env bash
# Prerequisites of the Parquet teacher export tests, which read the engine's Parquet files with readers other
# than the Parquet.Net that wrote them: hyparquet (npm, pinned in tools/distill/parquet-reader) and, where
# Debian has it, pyarrow (python3-pyarrow, what Hugging Face datasets loads Parquet with). The tests skip with
# a reason for a reader that is absent. Debian/Ubuntu; needs root (or sudo). Idempotent.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if ! command -v npm >/dev/null; then
  echo "   installing npm (Debian)"
  "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq npm >/dev/null
fi
npm ci --prefix "$repo/tools/distill/parquet-reader" --no-audit --no-fund --loglevel=error >/dev/null
echo "   hyparquet: installed in tools/distill/parquet-reader"

if /usr/bin/python3 -c "import pyarrow" 2>/dev/null; then
  echo "   pyarrow: present"
elif [ -n "$(apt-cache policy python3-pyarrow 2>/dev/null | grep -F Candidate | grep -v '(none)')" ]; then
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-pyarrow >/dev/null
  echo "   pyarrow: installed (python3-pyarrow)"
else
  echo "   pyarrow: Debian has no python3-pyarrow here; its test skips"
fi
