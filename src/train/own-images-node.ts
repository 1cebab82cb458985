// The user's own images from disk, for the CLI's --data: a folder (IDX files, or PNGs in class
// sub-folders), a zip of one, or an IDX images file with its labels file beside it.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Dataset } from './data';
import { DataError, openOwnImages, type DataFile, type Inflate } from './own-images';

export const nodeInflate: Inflate = async (bytes, format) =>
  new Uint8Array(format === 'gzip' ? gunzipSync(bytes) : format === 'deflate' ? inflateSync(bytes) : inflateRawSync(bytes));

async function walk(dir: string, root: string): Promise<DataFile[]> {
  const out: DataFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, root)));
    else if (entry.isFile()) out.push({ path: path.relative(root, full).split(path.sep).join('/'), bytes: new Uint8Array(await readFile(full)) });
  }
  return out;
}

export async function loadOwnImagesFromDisk(where: string): Promise<Dataset> {
  let info;
  try {
    info = await stat(where);
  } catch {
    throw new DataError(`Cannot read ${where}: no such file or folder.`);
  }
  const name = path.basename(path.resolve(where));
  if (info.isDirectory()) return openOwnImages(await walk(where, where), nodeInflate, name);
  const bytes = new Uint8Array(await readFile(where));
  // An IDX images file: its labels file sits beside it (images → labels in the name).
  if (/images/i.test(name) && !/\.zip$/i.test(name)) {
    const labels = path.join(path.dirname(where), name.replace(/images/i, 'labels').replace(/idx3/, 'idx1'));
    let labelBytes: Uint8Array;
    try {
      labelBytes = new Uint8Array(await readFile(labels));
    } catch {
      throw new DataError(`${name} needs its labels file beside it: ${path.basename(labels)} was not found.`);
    }
    return openOwnImages([{ path: name, bytes }, { path: path.basename(labels), bytes: labelBytes }], nodeInflate, name);
  }
  return openOwnImages([{ path: name, bytes }], nodeInflate, name);
}
