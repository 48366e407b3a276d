#!/usr/bin/env bash
# Fuzzes one parser with AFL++ through SharpFuzz (see tools/Fuzz/README.md).
# Usage: tools/Fuzz/fuzz.sh TARGET [afl-fuzz options]    e.g. -E 1000000 (executions) or -V 30 (seconds)
# Builds and instruments once into $FUZZ_BUILD, writes AFL++'s findings to $FUZZ_FINDINGS/TARGET (its log
# beside them, TARGET.log), then
# replays crashes/ and hangs/ in process to print what they were. Exit code: afl-fuzz's, or 1 when a
# crash or hang was saved.
# Needs afl++ (Debian package) and writes the SharpFuzz instrumenter into $FUZZ_BUILD/tools.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${1:?usage: tools/Fuzz/fuzz.sh TARGET [afl-fuzz options]}"
shift
build="${FUZZ_BUILD:-${TMPDIR:-/tmp}/transformer-fuzz-build}"
findings="${FUZZ_FINDINGS:-${TMPDIR:-/tmp}/transformer-fuzz-findings}/$target"
corpus="$repo_root/tools/Fuzz/corpus/$target"
sharpfuzz_version=2.3.0
json_targets=$'safetensors\nsafetensors-index\nconfig-json\ntokenizer-json'

[ -d "$corpus" ] || { echo "error: no corpus for target '$target' ($corpus)" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "error: afl-fuzz not found (apt-get install afl++)" >&2; exit 2; }

# The assemblies that hold the parsers get AFL edge instrumentation. Microsoft.ML.Tokenizers is included
# because it parses the SentencePiece protobuf; System.* assemblies are not (JSON parsing is the BCL's).
instrumented=(Transformer.Loader.dll Transformer.Tokenizers.dll Microsoft.ML.Tokenizers.dll)
stamp="$build/instrumented.stamp"
sources_newer() { [ ! -e "$stamp" ] || [ -n "$(find "$repo_root/tools/Fuzz" "$repo_root/Loader" "$repo_root/Kernels/Transformer.Kernels" \
  -name '*.cs' -newer "$stamp" -print -quit)" ]; }
if sources_newer; then
  echo "== building and instrumenting into $build"
  rm -rf "$build/bin"
  # Its own artifacts path, so a build in the working tree at the same time cannot collide with this one.
  dotnet publish "$repo_root/tools/Fuzz/Transformer.Fuzz.csproj" -c Release -o "$build/bin" \
    --artifacts-path "$build/artifacts" -v quiet -nologo </dev/null
  if [ ! -x "$build/tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$build/tools" >/dev/null </dev/null
  fi
  for dll in "${instrumented[@]}"; do "$build/tools/sharpfuzz" "$build/bin/$dll" >/dev/null; done
  touch "$stamp"
fi

rm -rf "$findings" "$findings.log"
mkdir -p "$(dirname "$findings")"
# AFL++ cannot see instrumentation in the dotnet host (SharpFuzz's fork server speaks its protocol instead),
# so the binary check is skipped. .NET reserves far more address space than it uses, so AFL's memory limit
# (-m) cannot bound it: the GC heap hard limit makes an oversized allocation an OutOfMemoryException (a
# crash), and FuzzHarness bounds what each input allocates. -t 1000: an input over 1 s is a hang.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FORKSRV_INIT_TMOUT=60000
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_CLI_TELEMETRY_OPTOUT=1
# Dictionaries: the target's own tokens (field names, dtypes, magic numbers), plus JSON's for JSON formats.
dictionaries=()
for dict in "$repo_root/tools/Fuzz/dictionaries/$target.dict" "$repo_root/tools/Fuzz/dictionaries/json.dict"; do
  [ -f "$dict" ] || continue
  [ "$(basename "$dict")" != json.dict ] || grep -q -x "$target" <<<"$json_targets" || continue
  dictionaries+=(-x "$dict")
done
set +e
afl-fuzz -i "$corpus" -o "$findings" -t 1000 -m none "${dictionaries[@]}" "$@" -- dotnet "$build/bin/transformer-fuzz.dll" "$target" \
  </dev/null >"$findings.log" 2>&1
afl_rc=$?
if [ "$afl_rc" -ne 0 ]; then tail -n 40 "$findings.log"; echo "error: afl-fuzz exited with $afl_rc (its log: $findings.log)" >&2; fi
set -e

stats="$findings/default/fuzzer_stats"
if [ -f "$stats" ]; then
  stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  echo "== $target: $(stat execs_done) executions in $(stat run_time) s ($(stat execs_per_sec) exec/s), corpus $(stat corpus_count), edges $(stat edges_found)/$(stat total_edges), crashes $(stat saved_crashes), hangs $(stat saved_hangs)"
fi
saved=0
for kind in crashes hangs; do
  dir="$findings/default/$kind"
  if [ -d "$dir" ] && [ -n "$(find "$dir" -type f -name 'id:*' -print -quit)" ]; then
    saved=1
    echo "== replaying $kind (inputs in $dir)"
    dotnet "$build/bin/transformer-fuzz.dll" "$target" --replay "$dir" || true
  fi
done
[ "$afl_rc" -eq 0 ] || exit "$afl_rc"
exit "$saved"
