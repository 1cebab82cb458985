// --data PATH: the user's own images replace the graph's dataset; the document then describes them
// (training.dataset 'custom' with their shape and classes), so analyze and the Dataset node see them.
import type { GraphDocument } from '../graph/document';
import type { Dataset } from '../train/data';
import { loadOwnImagesFromDisk } from '../train/own-images-node';
import { DataError } from '../train/own-images';
import { CliError } from './args';

export async function ownData(flags: Map<string, string | true>): Promise<Dataset | null> {
  const where = flags.get('data');
  if (typeof where !== 'string') return null;
  try {
    return await loadOwnImagesFromDisk(where);
  } catch (e) {
    if (e instanceof DataError) throw new CliError(e.message, 1);
    throw new CliError(`Cannot read ${where}: ${(e as Error).message}`, 1);
  }
}

export function withOwnData(doc: GraphDocument, own: Dataset | null): GraphDocument {
  if (!own) return doc;
  return { ...doc, training: { ...doc.training, dataset: 'custom', custom: { name: own.name, shape: [...own.train.shape], classNames: [...own.classNames] } } };
}
