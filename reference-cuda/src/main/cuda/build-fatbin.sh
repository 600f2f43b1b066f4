#!/usr/bin/env bash
# Compiles the kernels (src/main/cuda/*.cu) into the committed fatbin and records what it was built from:
#   src/main/resources/dev/baton/cuda/kernels/baton_kernels.fatbin
#   src/main/resources/dev/baton/cuda/kernels/baton_kernels.fatbin.sha256
# The record holds the SHA-256 of the sources (every *.cu and *.cuh here, concatenated in byte order of their names),
# the SHA-256 of the fatbin, the nvcc version and the flags. Rebuilds only when one of those changed, so builds with
# nvcc stay fast; KernelImageChecksumTest fails when the committed fatbin no longer matches the sources.
#
# Usage: build-fatbin.sh [path/to/nvcc [classes-dir]]   (run by the cuda-kernels Maven profile wherever nvcc exists;
#        with a classes directory, also copies both files there, for the build that is running)
set -euo pipefail
nvcc="${1:-nvcc}"
classes="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/dev/baton/cuda/kernels"
fatbin="$out/baton_kernels.fatbin"
record="$out/baton_kernels.fatbin.sha256"
flag_list=(-fatbin -fmad=false -gencode 'arch=compute_90,code=[sm_90,compute_90]' -gencode 'arch=compute_80,code=compute_80')
flags="${flag_list[*]}"

shopt -s nullglob
sources=$(cd "$here" && printf '%s\n' *.cu *.cuh | LC_ALL=C sort)
# shellcheck disable=SC2086
source_hash=$(cd "$here" && cat $sources | sha256sum | cut -d' ' -f1)
nvcc_version=$("$nvcc" --version | grep -m1 'release')

copy_to_classes() {
    if [ -n "$classes" ]; then
        mkdir -p "$classes/dev/baton/cuda/kernels"
        cp "$fatbin" "$record" "$classes/dev/baton/cuda/kernels/"
    fi
}

if [ -f "$fatbin" ] && [ -f "$record" ] \
    && grep -qx "sources-sha256 $source_hash" "$record" \
    && grep -qxF "nvcc $nvcc_version" "$record" \
    && grep -qxF "flags $flags" "$record" \
    && grep -qx "fatbin-sha256 $(sha256sum "$fatbin" | cut -d' ' -f1)" "$record"; then
    copy_to_classes
    exit 0
fi

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "build-fatbin: nvcc $flags ($nvcc_version)" >&2
"$nvcc" "${flag_list[@]}" -o "$tmp/baton_kernels.fatbin" "$here/baton_kernels.cu"
mv "$tmp/baton_kernels.fatbin" "$fatbin"
{
    echo "sources-sha256 $source_hash"
    echo "fatbin-sha256 $(sha256sum "$fatbin" | cut -d' ' -f1)"
    echo "nvcc $nvcc_version"
    echo "flags $flags"
    echo "sources $(echo $sources)"
} > "$record"
copy_to_classes
