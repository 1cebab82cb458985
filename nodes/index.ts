// The registry: every node type, in palette order. Adding a type = one file + one line here + its tests.
import type { NodeDefinition } from './define';
import { datasetNode } from './dataset';
import { conv2dNode } from './conv2d';
import { conv2dTransposeNode } from './conv2d-transpose';
import { denseNode } from './dense';
import { flattenNode } from './flatten';
import { reshapeNode } from './reshape';
import { samplingNode } from './sampling';
import { bceNode } from './bce';
import { klNode } from './kl';
import { betaScaleNode } from './beta-scale';
import { objectiveNode } from './objective';
import { latentGridNode } from './latent-grid';
import { latentScatterNode } from './latent-scatter';
import { reconstructionsNode } from './reconstructions';
import { maxPooling2dNode } from './max-pooling2d';
import { averagePooling2dNode } from './average-pooling2d';
import { globalAveragePooling2dNode } from './global-average-pooling2d';
import { upSampling2dNode } from './up-sampling2d';
import { dropoutNode } from './dropout';
import { batchNormalizationNode } from './batch-normalization';
import { activationNode } from './activation';
import { addNode } from './add';
import { concatenateNode } from './concatenate';
import { mseNode } from './mse';
import { categoricalCrossEntropyNode } from './categorical-cross-entropy';
import { accuracyNode } from './accuracy';

export const nodeTypes: readonly NodeDefinition[] = [
  datasetNode,
  conv2dNode,
  conv2dTransposeNode,
  denseNode,
  flattenNode,
  reshapeNode,
  maxPooling2dNode,
  averagePooling2dNode,
  globalAveragePooling2dNode,
  upSampling2dNode,
  dropoutNode,
  batchNormalizationNode,
  activationNode,
  addNode,
  concatenateNode,
  samplingNode,
  bceNode,
  klNode,
  mseNode,
  categoricalCrossEntropyNode,
  betaScaleNode,
  objectiveNode,
  accuracyNode,
  latentGridNode,
  latentScatterNode,
  reconstructionsNode,
];

const byType = new Map(nodeTypes.map((d) => [d.type, d]));

export function nodeType(type: string): NodeDefinition | undefined {
  return byType.get(type);
}

export const categories = ['data', 'layer', 'latent', 'loss', 'output'] as const;
export type { NodeDefinition } from './define';
