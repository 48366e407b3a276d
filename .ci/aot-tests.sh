#!/usr/bin/env bash
# NativeAOT tests: publishes the CLI as a NativeAOT binary (CPU backend only: ILGPU generates code at run
# time, so PublishAot builds without the GPU backend), then checks that the publish gave no warning, that the
# binary prints byte for byte what the JIT build prints, and that asking it for a GPU says this build has none.
# Prints the binary's size and start-up times, one line per check, and closes with
# `aot tests: N passed, N failed`; exit code 1 if any failed.
# Usage: bash .ci/aot-tests.sh [work-dir]
# AOT_TEST_MODEL: the model to run (default ../shared/models/stories260K, else the embedded models/stories260K)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${TRANSFORMER_SHARED_DIR:-$repo_root/../shared}"
model="${AOT_TEST_MODEL:-$shared/models/stories260K}"
[ -n "${AOT_TEST_MODEL:-}" ] || [ -d "$model" ] || model="$repo_root/models/stories260K"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/transformer-aot.XXXXXX")}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "error: no NativeAOT runtime identifier for $(uname -m)" >&2; exit 1 ;;
esac

# NativeAOT links with clang (or gcc) and needs zlib's headers and static library.
if ! command -v clang >/dev/null || ! command -v ld.lld >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  echo "== installing clang, lld and zlib1g-dev (NativeAOT's native toolchain)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq clang lld zlib1g-dev >/dev/null </dev/null
fi

passed=0 failed=0
check() { # check NAME COMMAND...: runs the command, counts and prints the outcome
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "  ok: $name"; else failed=$((failed + 1)); echo "  FAIL: $name"; fi
}
trap 'rc=$?; [ $rc -eq 0 ] || echo "aot tests: $passed passed, $((failed + 1)) failed (stopped early, exit code $rc)"' EXIT

aot="$work/aot" jit="$work/jit"
rm -rf "$aot" "$jit"
mkdir -p "$work"
echo "== dotnet publish tools/Transformer.Cli -r $rid -p:PublishAot=true"
publishes_without_warnings() {
  local log="$work/aot-publish.log"
  dotnet publish "$repo_root/tools/Transformer.Cli/Transformer.Cli.csproj" -c Release -r "$rid" -p:PublishAot=true \
    --artifacts-path "$work/aot-artifacts" -o "$aot" -nologo </dev/null >"$log" 2>&1 || { tail -n 40 "$log" | sed 's/^/    /'; return 1; }
  if grep -E -q ': (warning|error) ' "$log"; then grep -E ': (warning|error) ' "$log" | sort -u | sed 's/^/    /'; return 1; fi
  [ -x "$aot/transformer" ]
}
check "NativeAOT publish ($rid, CPU backend only) without warnings" publishes_without_warnings
echo "== dotnet build tools/Transformer.Cli (JIT)"
jit_builds() {
  dotnet build "$repo_root/tools/Transformer.Cli/Transformer.Cli.csproj" -c Release --artifacts-path "$work/jit-artifacts" -o "$jit" \
    -v quiet -nologo </dev/null >"$work/jit-build.log" 2>&1 || { tail -n 40 "$work/jit-build.log" | sed 's/^/    /'; return 1; }
}
check "JIT build" jit_builds

run_args=(run --model "$model" --prompt "Once upon a time" --max-tokens 64 --temperature 0)
same_text() {
  "$aot/transformer" "${run_args[@]}" </dev/null >"$work/aot.out" 2>"$work/aot.err" || { sed 's/^/    /' "$work/aot.err"; return 1; }
  dotnet "$jit/transformer.dll" "${run_args[@]}" </dev/null >"$work/jit.out" 2>"$work/jit.err" || { sed 's/^/    /' "$work/jit.err"; return 1; }
  sed 's/^/    aot stderr: /' "$work/aot.err"; sed 's/^/    jit stderr: /' "$work/jit.err"
  cmp "$work/jit.out" "$work/aot.out" || { diff "$work/jit.out" "$work/aot.out" | head -n 20 | sed 's/^/    /'; return 1; }
  [ -s "$work/aot.out" ]
}
check "transformer ${run_args[*]}: AOT prints byte for byte the JIT build's text" same_text
bundled_model() { # the publish folder carries the default model: run without --model prints the same text
  "$aot/transformer" run --prompt "Once upon a time" --max-tokens 64 --temperature 0 </dev/null >"$work/aot-default.out" 2>"$work/aot-default.err" \
    || { sed 's/^/    /' "$work/aot-default.err"; return 1; }
  cmp "$work/jit.out" "$work/aot-default.out" || { diff "$work/jit.out" "$work/aot-default.out" | head -n 20 | sed 's/^/    /'; return 1; }
}
check "AOT run without --model (its bundled stories260K) prints the same text" bundled_model
says_no_gpu() {
  local rc=0
  "$aot/transformer" run --model "$model" --prompt "Once" --max-tokens 1 --device cuda </dev/null >/dev/null 2>"$work/cuda.err" || rc=$?
  sed 's/^/    /' "$work/cuda.err"
  [ "$rc" -eq 1 ] && grep -q '^error: --device cuda: this build of transformer has no GPU backend' "$work/cuda.err"
}
check "AOT --device cuda: exit code 1, 'this build has no GPU backend'" says_no_gpu

# Figures, not checks: the binary's size (its debug symbols are a separate .dbg file) and start-up times
# (best of five, `--help`: start-up alone; `run`: start-up, loading the model and 64 tokens, one thread).
best_ms() { local best="" t; for _ in 1 2 3 4 5; do t0=$(date +%s%N); "$@" >/dev/null 2>&1 </dev/null || true
  t=$(( ($(date +%s%N) - t0) / 1000000 )); [ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t; done; echo "$best"; }
if [ "$failed" -eq 0 ]; then
  echo "   AOT binary: $(stat -c %s "$aot/transformer") bytes; JIT build folder: $(du -sb "$jit" | cut -f1) bytes"
  echo "   start-up (--help, best of 5): AOT $(best_ms "$aot/transformer" --help) ms, JIT $(best_ms dotnet "$jit/transformer.dll" --help) ms"
  echo "   run (64 tokens, --threads 1, best of 5): AOT $(best_ms "$aot/transformer" "${run_args[@]}" --threads 1) ms, JIT $(best_ms dotnet "$jit/transformer.dll" "${run_args[@]}" --threads 1) ms"
fi

trap - EXIT
[ -n "${1:-}" ] || rm -rf "$work"
echo "aot tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
