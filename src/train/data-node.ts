// Reading the datasets from public/data in Node (the CLI, the tests and the bench).
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { DatasetName } from '../graph/document';
import { loadDataset, type Dataset } from './data';

export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/data');

export function loadDatasetFromDisk(name: DatasetName, dir = DATA_DIR): Promise<Dataset> {
  return loadDataset(name, async (dataset, file) => {
    const where = path.join(dir, dataset, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(where);
    } catch {
      throw new Error(`Cannot read ${where}: the ${dataset} files belong in ${path.join(dir, dataset)}.`);
    }
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch {
      throw new Error(`${where} is not a valid gzip file.`);
    }
  });
}
