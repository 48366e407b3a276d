#!/usr/bin/env bash
# Installs POCL, an OpenCL runtime that runs on the CPU, so the GPU backend's OpenCL tests have a real
# OpenCL device on a machine without a GPU. Debian/Ubuntu; needs root (or sudo). Idempotent.
#   pocl-opencl-icd      the POCL driver, registered with the ICD loader
#   ocl-icd-libopencl1   the ICD loader (libOpenCL.so.1)
#   ocl-icd-opencl-dev   libOpenCL.so, the unversioned name ILGPU's P/Invoke asks for
set -euo pipefail

packages=(pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "gpu-prereqs: POCL already installed (${packages[*]})"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "gpu-prereqs: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
