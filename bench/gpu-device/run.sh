#!/usr/bin/env bash
# On the GPU machine (no Node needed): unpacks .gpu-bundle/ (made by prepare.sh), runs the gpu
# bench, and writes gpu-table.md, gpu-results.json and gpu-bench.log to $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=${OUT:-/tmp/wirelab-gpu}
mkdir -p "$OUT"
# The Vulkan loader and friends, as Debian packages the lead supplies.
if [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$NVIDIA_ICD" ] && export VK_DRIVER_FILES="$NVIDIA_ICD"
B="$ROOT/.gpu-bundle"
if [ ! -f "$B/gpu-bench.mjs" ]; then
  echo "no .gpu-bundle here: run bench/gpu-device/prepare.sh first and carry .gpu-bundle" | tee "$OUT/gpu-bench.log"
  exit 1
fi
unxz() { # xz, or Python's lzma where xz is missing
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
WORK=$(mktemp -d)
unxz "$B/node.xz" "$WORK/node" && chmod +x "$WORK/node"
[ -f "$B/node_modules/webgpu/dist/linux-x64/dawn.node" ] || unxz "$B/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$B/node_modules/webgpu/dist/linux-x64/dawn.node"
{
  echo "node $("$WORK/node" --version); $(date -u)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
} | tee "$OUT/gpu-bench.log"
cd "$B"
# EXPLORE=1: first what to speed up next (submit sizes, each op alone, a CPU profile of the step,
# the bind group cache off); EXPLORE=only: that alone, without the bench.
if [ "${EXPLORE:-0}" != 0 ]; then
  timeout 240 "$WORK/node" gpu-explore.mjs --preset beta-vae.json --out "$OUT" 2>&1 | tee "$OUT/gpu-explore.log"
  echo "explore: exit ${PIPESTATUS[0]}" | tee -a "$OUT/gpu-explore.log"
  timeout 90 "$WORK/node" gpu-explore.mjs --preset beta-vae.json --out "$OUT" --profile-only 2>&1 | tee -a "$OUT/gpu-explore.log"
  WIRELAB_BIND_GROUP_CACHE=0 timeout 90 "$WORK/node" gpu-explore.mjs --preset beta-vae.json --out "$OUT" --rates-only 2>&1 | tee -a "$OUT/gpu-explore.log"
fi
status=0
if [ "${EXPLORE:-0}" != only ]; then
  "$WORK/node" gpu-bench.mjs --data data --preset beta-vae.json --torch torch_vae.py --out "$OUT" --runs "${RUNS:-5}" 2>&1 | tee -a "$OUT/gpu-bench.log"
  status=${PIPESTATUS[0]}
fi
rm -rf "$WORK"
exit "$status"
