#!/usr/bin/env bash
# Runs the int8/f32/half kernel tests on Arm NEON under user-mode qemu on an x86 machine:
# once with qemu's default CPU ("max": AdvSimd + the dot-product extension, so the sdot path runs)
# and once as a Cortex-A72 (no dot product, so the smull/sadalp path runs).
# Usage: bash .ci/neon-tests.sh [publish-dir]   (exit code non-zero if either run fails)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
publish_dir="${1:-${TMPDIR:-/tmp}/transformer-neon-tests}"
artifacts_dir="${publish_dir}-artifacts"

# Only the kernel classes: the whole project under emulation would be slow, and these are the ISA paths.
# Run directly, the test executable is xunit.v3's in-process runner, so its own filter syntax applies.
filters=(-noColor
         -class 'Transformer.Kernels.Tests.Q8MatMulTests'
         -class 'Transformer.Kernels.Tests.Q4MatMulTests'
         -class 'Transformer.Kernels.Tests.Q4KMatMulTests'
         -class 'Transformer.Kernels.Tests.Q6KMatMulTests'
         -class 'Transformer.Kernels.Tests.IsaMatMulF32Tests'
         -class 'Transformer.Kernels.Tests.HalfMatMulTests'
         -class 'Transformer.Kernels.Tests.HalfWeightBackendTests'
         -class 'Transformer.Kernels.Tests.Q8FormatTests'
         -class 'Transformer.Kernels.Tests.IsaSelectionTests')

if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ]; then
  echo "== installing qemu-user-static and the arm64 C runtime"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --add-architecture arm64
  apt-get update -qq
  apt-get install -y -qq qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libssl3:arm64 >/dev/null
fi

echo "== publishing Tests/Transformer.Kernels.Tests for linux-arm64"
dotnet publish "$repo_root/Tests/Transformer.Kernels.Tests/Transformer.Kernels.Tests.csproj" \
  -c Release -r linux-arm64 --self-contained -p:InvariantGlobalization=true \
  --artifacts-path "$artifacts_dir" -o "$publish_dir" -v quiet -nologo

# .NET's W^X mode writes JIT code through a second, writable mapping of the same memory; user-mode
# qemu only notices code changes made through the executable mapping, so it keeps running stale
# translations once code memory is reused (reflection invoke stubs, tiered re-JIT). That crashed runs at
# random (signal 11/6, "Illegal instruction" in a test constructor) and sometimes even let the x86 cases
# run and "pass" on Arm. Emulation only: see dotnet/runtime#94909.
export DOTNET_EnableWriteXorExecute=0

# Debian multiarch puts the arm64 loader and libraries in /lib/aarch64-linux-gnu, where the arm64
# ld.so finds them by itself, so QEMU_LD_PREFIX stays unset.
status=0
run_suite() {
  local label="$1" cpu="$2" must_run="$3"
  echo "== NEON tests: $label"
  local log xml
  log="$(mktemp)"
  xml="$(mktemp)"
  set +e
  # Bounded: an emulated run that hangs must fail this step, not use up CI's time.
  if [ -n "$cpu" ]; then
    QEMU_CPU="$cpu" DOTNET_TieredPGO=0 timeout 600 qemu-aarch64-static "$publish_dir/Transformer.Kernels.Tests" "${filters[@]}" -xml "$xml" >"$log" 2>&1
  else
    DOTNET_TieredPGO=0 timeout 600 qemu-aarch64-static "$publish_dir/Transformer.Kernels.Tests" "${filters[@]}" -xml "$xml" >"$log" 2>&1
  fi
  local rc=$?
  set -e
  # Failures with their messages, and the totals.
  grep -A 12 -E '\[FAIL\]' "$log" || true
  grep -E 'Total: [0-9]+' "$log" | sed -E 's/^ +//' || tail -n 30 "$log"
  # The ISA cases must be the ones this CPU has: the Neon paths named by must_run ran (not skipped),
  # and every x86 case skipped (one that "passes" on Arm means the emulator ran other code than ours).
  local ran skipped x86
  ran="$(grep -oE "isa: ${must_run}[,)][^\"]*\" result=\"Pass\"" "$xml" | wc -l)"
  skipped="$(grep -oE "isa: ${must_run}[,)][^\"]*\" result=\"Skip\"" "$xml" || true)"
  x86="$(grep -oE 'name="[^"]*isa: (Avx2|Avx512|AvxVnni)[,)][^"]*" result="(Pass|Fail)"' "$xml" || true)"
  echo "   $ran cases of isa ${must_run} passed"
  if [ -n "$skipped" ] || [ -n "$x86" ] || [ "$ran" -eq 0 ]; then
    echo "   wrong ISA cases: skipped here: ${skipped:-none}; x86 not skipped: ${x86:-none}"
    rc=1
  fi
  echo "   exit code $rc"
  rm -f "$log" "$xml"
  [ "$rc" -eq 0 ] || status=1
}

run_suite "default CPU (max: AdvSimd + Dp, sdot path)" "" "(Neon|NeonDp)"
run_suite "QEMU_CPU=cortex-a72 (AdvSimd, no Dp: smull/sadalp path)" "cortex-a72" "Neon"
exit $status
