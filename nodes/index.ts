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

export const nodeTypes: readonly NodeDefinition[] = [
  datasetNode,
  conv2dNode,
  conv2dTransposeNode,
  denseNode,
  flattenNode,
  reshapeNode,
  samplingNode,
  bceNode,
  klNode,
  betaScaleNode,
  objectiveNode,
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
