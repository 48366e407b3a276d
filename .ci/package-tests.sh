#!/usr/bin/env bash
# Package tests: packs every packable project into a folder feed, then, outside the repository and with a
# fresh NuGet packages folder (so nothing comes from the repository's build or an earlier restore):
#   - checks each package: the one shared version, the MIT licence expression, a packed README;
#   - builds a fresh console app (.ci/package-test-app) that references Transformer.Text from the feed and
#     runs the repository's embedded default model (models/stories260K) through the API;
#   - installs the `transformer` .NET tool from the feed into a fresh tool path and runs it without --model
#     (so on the default model the tool package carries);
# and holds both outputs to llama2.c's printed text for the prompt (../shared/models/stories260K/reference),
# or, where ../shared is absent, to each other.
# Prints one line per check and closes with `package tests: N passed, N failed`; exit code 1 if any failed.
# Usage: bash .ci/package-tests.sh [work-dir]
# PACKAGE_TEST_MODEL: the model the app runs (default: the embedded models/stories260K).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${TRANSFORMER_SHARED_DIR:-$repo_root/../shared}"
model="${PACKAGE_TEST_MODEL:-$repo_root/models/stories260K}"
reference="$shared/models/stories260K/reference/greedy.json"
prompt="Once upon a time"
max_tokens=64
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/transformer-packages.XXXXXX")}"
feed="$work/feed" app="$work/app" tools="$work/tools"
export NUGET_PACKAGES="$work/nuget-packages" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$feed" "$app" "$tools" "$NUGET_PACKAGES"
mkdir -p "$feed" "$app" "$tools"

if ! command -v jq >/dev/null || ! command -v unzip >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq unzip >/dev/null </dev/null
fi

passed=0 failed=0
check() { # check NAME COMMAND...: runs the command, counts and prints the outcome
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "  ok: $name"; else failed=$((failed + 1)); echo "  FAIL: $name"; fi
}
finish() { echo "package tests: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
trap 'rc=$?; [ $rc -eq 0 ] || echo "package tests: $passed passed, $((failed + 1)) failed (stopped early, exit code $rc)"' EXIT

version="$(dotnet msbuild "$repo_root/Runtime/Transformer.Text/Transformer.Text.csproj" -getProperty:Version </dev/null)"
echo "== dotnet pack (version $version) into $feed"
dotnet pack "$repo_root/Transformer.sln" -c Release -o "$feed" -v quiet -nologo </dev/null >"$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; exit 1; }

# The packages the repository declares: every project with <IsPackable>true</IsPackable>, under its
# AssemblyName when it sets one (the CLI: transformer), else its project name.
expected_ids=()
while IFS= read -r csproj; do
  id="$(sed -n 's:.*<AssemblyName>\(.*\)</AssemblyName>.*:\1:p' "$csproj" | head -n 1)"
  expected_ids+=("${id:-$(basename "$csproj" .csproj)}")
done < <(grep -rl --include='*.csproj' '<IsPackable>true</IsPackable>' "$repo_root" | grep -v '/\(bin\|obj\)/' | sort)

package_is_complete() { # ID: the nupkg exists with the shared version, MIT, and its README packed
  local nupkg="$feed/$1.$version.nupkg" nuspec
  [ -f "$nupkg" ] || { echo "    $nupkg is missing"; return 1; }
  nuspec="$(unzip -p "$nupkg" "$1.nuspec")"
  grep -q "<version>$version</version>" <<<"$nuspec" || { echo "    $1: version is not $version"; return 1; }
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || { echo "    $1: no MIT licence expression"; return 1; }
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || { echo "    $1: no package README declared"; return 1; }
  [ -n "$(unzip -p "$nupkg" README.md)" ] || { echo "    $1: README.md is not packed"; return 1; }
}
for id in "${expected_ids[@]}"; do check "package $id $version (MIT, README)" package_is_complete "$id"; done
only_declared_packages() {
  local extra
  extra="$(ls "$feed" | grep -v -x -F -f <(printf '%s.'"$version"'.nupkg\n' "${expected_ids[@]}") || true)"
  [ -z "$extra" ] || { echo "    packed but not declared packable: $extra"; return 1; }
}
check "nothing else packed" only_declared_packages

expected_text="$work/expected.txt"
if [ -f "$reference" ]; then
  jq -j --arg p "$prompt" '.[] | select(.prompt == $p) | .run_c_printed_text' "$reference" >"$expected_text"
  [ -s "$expected_text" ] || { echo "error: $reference has no run_c_printed_text for \"$prompt\"" >&2; exit 1; }
  expected_what="llama2.c's printed text"
else
  echo "   note: $reference not found: the tool's output is held to the app's instead of llama2.c's"
  expected_what="the app's text"
fi
matches_reference() { # FILE: holds, byte for byte, the expected text for the prompt
  cmp -s "$expected_text" "$1" && return 0
  echo "    $1 differs from $expected_what ($expected_text):"; diff "$expected_text" "$1" | head -n 20 | sed 's/^/    /'
  return 1
}

# A fresh app: its own NuGet config with the feed first; every other source this machine has is kept
# (the engine's own dependencies come from there), but package source mapping sends Transformer.* to the
# feed only, so a same-named package elsewhere can never stand in.
echo "== fresh console app referencing Transformer.Text $version from the feed"
cp "$repo_root/.ci/package-test-app/PackageTestApp.csproj" "$repo_root/.ci/package-test-app/Program.cs" "$app/"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo '    <clear />'
  echo "    <add key=\"transformer-feed\" value=\"$feed\" />"
  n=0
  while read -r url; do n=$((n + 1)); echo "    <add key=\"upstream-$n\" value=\"$url\" />"; done \
    < <(cd "$work" && dotnet nuget list source --format short </dev/null | sed -n 's/^E[A-Za-z]* *//p' | grep -v -x -F "$feed")
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="transformer-feed"><package pattern="Transformer.*" /><package pattern="transformer" /></packageSource>'
  for i in $(seq 1 "$n"); do echo "    <packageSource key=\"upstream-$i\"><package pattern=\"*\" /></packageSource>"; done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} >"$app/nuget.config"
app_builds() {
  dotnet build "$app/PackageTestApp.csproj" -c Release -p:TransformerVersion="$version" -o "$app/bin" -v quiet -nologo </dev/null >"$work/app-build.log" 2>&1 \
    || { sed 's/^/    /' "$work/app-build.log" | tail -n 30; return 1; }
}
check "app restores Transformer.Text $version from the feed and builds" app_builds
restored_from_feed() { # every Transformer.* package in the app's restore came from the feed, at the shared version
  local id
  for id in Transformer.Text Transformer.Runtime Transformer.Tokenizers Transformer.Loader Transformer.Kernels; do
    local lower="${id,,}"
    [ -f "$NUGET_PACKAGES/$lower/$version/$lower.$version.nupkg" ] || { echo "    $id $version was not restored"; return 1; }
    cmp -s "$NUGET_PACKAGES/$lower/$version/$lower.$version.nupkg" "$feed/$id.$version.nupkg" \
      || { echo "    restored $id differs from the feed's"; return 1; }
  done
}
check "app's engine packages are the feed's (Text, Runtime, Tokenizers, Loader, Kernels)" restored_from_feed
app_output="$work/app.out"
app_runs() { dotnet "$app/bin/PackageTestApp.dll" "$model" "$prompt" "$max_tokens" </dev/null >"$app_output"; }
check "app runs $model through the API" app_runs
[ -f "$reference" ] || cp "$app_output" "$expected_text"
check "app prints $expected_what for \"$prompt\" ($max_tokens greedy tokens)" matches_reference "$app_output"

echo "== dotnet tool install transformer $version --tool-path $tools --add-source $feed"
tool_installs() {
  dotnet tool install transformer --version "$version" --tool-path "$tools" --add-source "$feed" </dev/null >"$work/tool-install.log" 2>&1 \
    || { sed 's/^/    /' "$work/tool-install.log"; return 1; }
  [ -x "$tools/transformer" ] || { echo "    $tools/transformer is not there"; return 1; }
}
check "tool installs into a fresh tool path" tool_installs
tool_output="$work/tool.out"
tool_runs() {
  "$tools/transformer" run --prompt "$prompt" --max-tokens "$max_tokens" --temperature 0 </dev/null >"$tool_output" 2>"$work/tool.err" \
    || { sed 's/^/    /' "$work/tool.err"; return 1; }
  sed 's/^/    stderr: /' "$work/tool.err"
}
check "transformer run (installed tool, its default model)" tool_runs
check "tool prints $expected_what for \"$prompt\" ($max_tokens greedy tokens)" matches_reference "$tool_output"

trap - EXIT
[ -n "${1:-}" ] || rm -rf "$work"
finish
