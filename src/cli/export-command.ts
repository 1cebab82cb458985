// `cli export`: the graph as a PyTorch or Keras script, or its parts as tfjs LayersModels.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphDocument } from '../graph/document';
import { ExportError } from '../export/plan';
import { exportTorch } from '../export/torch';
import { exportKeras, exportLayersModels } from '../export/keras';
import type { SavedModel } from '../compile/weights';
import { CliError } from './args';

export const EXPORT_TARGETS = ['pytorch', 'keras', 'tfjs-layers'] as const;

export async function exportCommand(doc: GraphDocument, flags: Map<string, string | true>): Promise<void> {
  const to = flags.get('to');
  if (typeof to !== 'string' || !(EXPORT_TARGETS as readonly string[]).includes(to))
    throw new CliError(`--to must be one of ${EXPORT_TARGETS.join(', ')}${typeof to === 'string' ? `, got ${to}` : ''}.`, 2);
  const out = flags.get('out');
  try {
    if (to === 'tfjs-layers') {
      const dir = typeof out === 'string' ? out : 'tfjs-model';
      const weights = flags.get('weights');
      const written = await writeLayersModels(doc, dir, typeof weights === 'string' ? weights : undefined);
      console.error(`Wrote ${written.join(', ')}: load each with tf.loadLayersModel. Sampling and the losses are not layers tfjs-layers knows, so a VAE's encoder and decoder are separate models.`);
      return;
    }
    if (flags.has('weights')) throw new CliError('--weights is for --to tfjs-layers; the scripts take --init path/to/model when they run.', 2);
    const code = to === 'pytorch' ? exportTorch(doc) : exportKeras(doc);
    if (typeof out === 'string') {
      await writeFile(out, code);
      console.error(`Wrote ${out}. Run: python3 ${out} --data public/data/${doc.training.dataset} --epochs 1`);
    } else process.stdout.write(code);
  } catch (e) {
    if (e instanceof ExportError) throw new CliError(e.message, 1);
    throw e;
  }
}

/** Each model part as DIR/<part>/model.json + weights.bin; the weights are a saved model's, or fresh ones from the graph's seed. */
export async function writeLayersModels(doc: GraphDocument, dir: string, weightsDir: string | undefined): Promise<string[]> {
  const models = exportLayersModels(doc);
  const tf = await import('@tensorflow/tfjs');
  const { useNodeBackend } = await import('../compile/backend-node');
  const { compile } = await import('../compile/compile');
  const { loadWeights } = await import('../compile/weights');
  await useNodeBackend(tf, 'cpu');
  const program = compile(doc, tf);
  try {
    if (weightsDir) {
      let saved: SavedModel;
      try {
        saved = { json: JSON.parse(await readFile(path.join(weightsDir, 'model.json'), 'utf8')), weights: new Uint8Array(await readFile(path.join(weightsDir, 'weights.bin'))).buffer };
      } catch (e) {
        throw new CliError(`Cannot read the model in ${weightsDir}: ${(e as Error).message}`, 1);
      }
      loadWeights(tf, program, saved);
    }
    const ours = new Map(program.namedWeights().map((w) => [w.name, w.variable]));
    const written: string[] = [];
    for (const m of models) {
      const { data, specs } = await tf.io.encodeWeights(m.weights.map((w) => ({ name: w.theirs, tensor: ours.get(w.ours)! })));
      const folder = path.join(dir, m.name);
      await mkdir(folder, { recursive: true });
      const json = { format: 'layers-model', generatedBy: 'Wirelab', convertedBy: null, modelTopology: m.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
      await writeFile(path.join(folder, 'model.json'), JSON.stringify(json));
      await writeFile(path.join(folder, 'weights.bin'), new Uint8Array(data));
      written.push(`${folder}/model.json`);
    }
    return written;
  } finally {
    program.dispose();
  }
}
