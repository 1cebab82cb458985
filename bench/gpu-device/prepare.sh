#!/usr/bin/env bash
# Builds .gpu-bundle/: everything `npm run bench -- --only gpu` needs on a GPU machine that has
# Python (+ CUDA PyTorch) but no Node and no registry. Run here (with node_modules installed),
# then carry .gpu-bundle (and the lead's .gl folder of Vulkan debs) to the device and run
# bench/gpu-device/run.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.gpu-bundle
if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  echo "node_modules/webgpu is missing: run npm install (webgpu is an optional dependency)" >&2
  exit 1
fi
rm -rf "$B"
mkdir -p "$B/node_modules/webgpu" "$B/data"
# Node itself (the device has none).
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$B/node.xz"
# The bench as one ES module; `webgpu` (a native addon) stays outside, beside it.
npx esbuild bench/gpu-device/main.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$B/gpu-bench.mjs" \
  --banner:js="import { createRequire as __wirelabCreateRequire } from 'node:module'; const require = __wirelabCreateRequire(import.meta.url);"
npx esbuild bench/gpu-device/explore.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$B/gpu-explore.mjs" \
  --banner:js="import { createRequire as __wirelabCreateRequire } from 'node:module'; const require = __wirelabCreateRequire(import.meta.url);"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$B/node_modules/webgpu/"
mkdir -p "$B/node_modules/webgpu/dist/linux-x64"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$B/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
cp presets/beta-vae.json bench/torch_vae.py "$B/"
npx tsx bench/gpu-device/subset.ts "$B/data" 4096 512
du -sh "$B"
du -ah "$B" | sort -h | tail -6
