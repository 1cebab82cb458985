// Writes the first N training and M test images (and labels) of Fashion-MNIST as IDX .gz files,
// for the GPU bundle: npx tsx bench/gpu-device/subset.ts OUT_DIR [N] [M]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DATASETS } from '../../src/graph/datasets';
const DATA_FILES = DATASETS['fashion-mnist'].files;
import { DATA_DIR } from '../../src/train/data-node';

const [out, n = '4096', m = '512'] = process.argv.slice(2);
if (!out) throw new Error('usage: subset.ts OUT_DIR [train images] [test images]');
const dir = path.join(out, 'fashion-mnist');
mkdirSync(dir, { recursive: true });
// IDX: magic (4 bytes, the last one the rank), then one big-endian u32 per dimension, then the data.
const cut = (file: string, count: number) => {
  const bytes = gunzipSync(readFileSync(path.join(DATA_DIR, 'fashion-mnist', file)));
  const rank = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const per = Array.from({ length: rank - 1 }, (_, i) => view.getUint32(8 + 4 * i)).reduce((a, b) => a * b, 1);
  const header = Buffer.from(bytes.subarray(0, 4 + 4 * rank));
  header.writeUInt32BE(count, 4);
  const body = bytes.subarray(4 + 4 * rank, 4 + 4 * rank + count * per);
  writeFileSync(path.join(dir, file), gzipSync(Buffer.concat([header, body])));
};
cut(DATA_FILES.trainImages, Number(n));
cut(DATA_FILES.trainLabels, Number(n));
cut(DATA_FILES.testImages, Number(m));
cut(DATA_FILES.testLabels, Number(m));
console.error(`wrote ${n} training and ${m} test images to ${dir}`);
