// Small pieces the node exporters share: activations as PyTorch and Keras write them.
import type { KerasLayerConfig } from './contract';

/** `expr` through a Keras activation, in PyTorch. Images are (N, C, H, W) there, so softmax runs over dim 1. */
export function torchActivation(name: string, expr: string, image: boolean): string {
  switch (name) {
    case 'linear':
      return expr;
    case 'relu':
    case 'sigmoid':
    case 'tanh':
      return `torch.${name}(${expr})`;
    case 'elu':
    case 'selu':
    case 'softplus':
    case 'gelu':
      return `F.${name}(${expr})`;
    case 'swish':
      return `F.silu(${expr})`;
    case 'softmax':
      return `torch.softmax(${expr}, dim=${image ? 1 : -1})`;
    default:
      throw new Error(`cannot export the activation "${name}" yet`);
  }
}

/** Keras's keyword for a non-default activation: `, activation="relu"`. */
export const kerasActivation = (name: string): string => (name === 'linear' ? '' : `, activation="${name}"`);

/** A layer config as tfjs-layers writes it in `modelTopology` (snake_case keys, as Keras). */
export function layerConfig(className: string, name: string, config: Record<string, unknown>): KerasLayerConfig {
  return { className, config: { name, trainable: true, ...config } };
}
