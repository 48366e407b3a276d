#!/usr/bin/env bash
# Fuzz smoke run: every target of tools/Fuzz under AFL++ for a short bounded time (FUZZ_SECONDS, default 20)
# starting from the committed corpus, failing on any crash or hang. The long documented runs are in
# tools/Fuzz/README.md. Prints one line per target and closes with `fuzz targets: N passed, N failed`.
# Usage: bash .ci/fuzz-tests.sh [work-dir]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/transformer-fuzz.XXXXXX")}"
export FUZZ_BUILD="$work/build" FUZZ_FINDINGS="$work/findings" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$work"

if ! command -v afl-fuzz >/dev/null; then
  echo "== installing afl++"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq afl++ >/dev/null </dev/null
fi

passed=0 failed=0
for corpus in "$repo_root"/tools/Fuzz/corpus/*/; do
  target="$(basename "$corpus")"
  log="$work/$target.out"
  if nice -n 15 bash "$repo_root/tools/Fuzz/fuzz.sh" "$target" -V "$seconds" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "  ok: $(grep "^== $target:" "$log" | sed 's/^== //')"
  else
    failed=$((failed + 1)); echo "  FAIL: $target"; sed 's/^/    /' "$log" | tail -n 60 || true
  fi
done
[ -n "${1:-}" ] || rm -rf "$work"
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
