// The graph as one runnable PyTorch file: an nn.Module per model part (named as the summary names
// them), the training module with Sampling and the losses as wired, and the shared runtime
// (optimizer, data, weights files, torchrun). Pure: no tfjs, so the app can run it on the page.
import type { GraphDocument, PortRef, Shape } from '../graph/document';
import { pyJson, pyTuple, type TorchExport } from './contract';
import { planExport, type ExportPlan, type PartPlan } from './plan';
import { TORCH_RUNTIME } from './torch-runtime';

const shapeComment = (s: Shape | undefined) => (s ? `  # ${pyTuple(s)}` : '');
const count = (n: number) => n.toLocaleString('en-US');

export function exportTorch(doc: GraphDocument): string {
  const plan = planExport(doc, 'toTorch');
  const exported = new Map<string, TorchExport>();
  const exportOf = (id: string) => {
    let e = exported.get(id);
    if (!e) exported.set(id, (e = plan.def(id).toTorch!(plan.exportNode(id))));
    return e;
  };
  for (const step of plan.steps) for (const id of 'part' in step ? step.part.nodes : [step.node]) exportOf(id);

  const helpers = new Map<string, string>();
  for (const e of exported.values()) for (const [k, v] of Object.entries(e.helpers ?? {})) helpers.set(k, v);

  const out: string[] = [header(plan), ...[...helpers.values()].flatMap((h) => [h, '', '']), ...plan.parts.flatMap((p) => [...partClass(plan, p, exportOf), '', ''])];
  out.push(...objectiveClass(plan, exportOf), '', '');
  out.push(...tables(plan, exportOf));
  out.push(TORCH_RUNTIME);
  out.push(
    '',
    `IMAGE_SHAPE = ${pyTuple(plan.image.shape)}  # what the graph's dataset gives, per sample (height, width, channels)`,
    `SETTINGS = ${pyJson(doc.training)}  # the graph's training settings: the flags' defaults`,
    `GRAPH = ${pyJson(doc)}  # the graph itself, written into saved models`,
    '',
    'if __name__ == "__main__":',
    '    main()',
    '',
  );
  return out.join('\n');
}

function header(plan: ExportPlan): string {
  const parts = plan.parts.map((p) => `${p.className} (${p.name}, ${count(p.params)} parameters)`).join(', ');
  return `#!/usr/bin/env python3
"""${plan.doc.name.replace(/"""/g, "'''").replace(/\\/g, '\\\\')} — exported from Wirelab as PyTorch.

Model parts: ${parts}; the training module Objective adds ${plan.steps.some((s) => 'node' in s && plan.def(s.node).category === 'latent') ? 'Sampling and ' : ''}the losses as wired.

One process (a GPU when there is one):
    python3 model.py --data public/data/${plan.doc.training.dataset} --epochs 10
N GPUs on this machine (DistributedDataParallel, NCCL; on CPUs Gloo):
    torchrun --nproc_per_node=N model.py --data public/data/${plan.doc.training.dataset}
M machines with N GPUs each (run on every machine, with its --node_rank):
    torchrun --nnodes=M --nproc_per_node=N --node_rank=R --master_addr=HOST --master_port=29500 model.py --data …
Continue a run from the app or the CLI with --init path/to/model; --save writes weights the app opens.

Inside PyTorch, images are channels first (N, C, H, W); the shapes in comments are per sample and
channels last (H, W, C), as Wirelab's summary prints them. Flatten and Reshape convert, so the
flattened order and every weight match Wirelab's (Keras's).
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time
import warnings

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler


`;
}

/** `a, b` for a return or call. */
const list = (plan: ExportPlan, refs: PortRef[]) => refs.map((r) => plan.value(r)).join(', ');

function nodeLines(plan: ExportPlan, id: string, e: TorchExport, indent: string, withShapes: boolean): string[] {
  const lines: string[] = [];
  if (e.comment) lines.push(`${indent}# ${e.comment}`);
  const shapes = plan.analysis.nodes[id].outputs;
  for (const [port, expr] of Object.entries(e.outputs)) {
    const target = id === plan.objective ? 'total' : plan.value({ node: id, port });
    lines.push(`${indent}${target} = ${expr}${withShapes ? shapeComment(shapes[port]) : ''}`);
  }
  return lines;
}

function partClass(plan: ExportPlan, part: PartPlan, exportOf: (id: string) => TorchExport): string[] {
  const io = (refs: PortRef[]) => refs.map((r) => `${plan.value(r)} ${pyTuple(plan.analysis.nodes[r.node].outputs[r.port])}`).join(', ');
  return [
    `class ${part.className}(nn.Module):`,
    `    """${part.name}: ${count(part.params)} trainable parameters, as Wirelab's summary counts them.`,
    `    In: ${io(part.inputs)}. Out: ${io(part.outputs)}."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...part.nodes.filter((id) => exportOf(id).module).map((id) => `        self.${plan.name(id)} = ${exportOf(id).module}`),
    '',
    `    def forward(self, ${list(plan, part.inputs)}):`,
    ...part.nodes.flatMap((id) => nodeLines(plan, id, exportOf(id), '        ', true)),
    `        return ${list(plan, part.outputs)}`,
  ];
}

function objectiveClass(plan: ExportPlan, exportOf: (id: string) => TorchExport): string[] {
  const own = plan.steps.flatMap((s) => ('node' in s && exportOf(s.node).module ? [s.node] : []));
  const body: string[] = [];
  for (const step of plan.steps) {
    if ('part' in step) {
      const outs = list(plan, step.part.outputs);
      body.push(`        ${outs} = self.${step.part.name}(${list(plan, step.part.inputs)})`);
    } else body.push(...nodeLines(plan, step.node, exportOf(step.node), '        ', plan.def(step.node).category === 'layer'));
  }
  const terms = [...plan.terms, ...plan.metrics].map((t) => `${JSON.stringify(t.label)}: ${plan.value({ node: t.nodeId, port: t.port })}`).join(', ');
  // The labels are an argument always (the training loop passes them), used where a loss or metric reads them.
  const labels = plan.label ? plan.value(plan.label) : 'labels';
  return [
    'class Objective(nn.Module):',
    `    """The graph as it trains: the model parts${own.length ? `, ${own.map((id) => plan.name(id)).join(', ')}` : ''} and the losses wired into the Objective.`,
    `    forward(images, labels) returns the total that training minimises and each loss term${plan.metrics.length ? ' and metric' : ''} by its label."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...plan.parts.map((p) => `        self.${p.name} = ${p.className}()`),
    ...own.map((id) => `        self.${plan.name(id)} = ${exportOf(id).module}`),
    '        wirelab_initialisation(self)',
    '',
    `    def forward(self, ${plan.value(plan.image.ref)}, ${labels}=None):`,
    ...body,
    `        return total, {${terms}}`,
  ];
}

function tables(plan: ExportPlan, exportOf: (id: string) => TorchExport): string[] {
  const path = (id: string) => {
    const part = plan.parts.find((p) => p.nodes.includes(id));
    return part ? `${part.name}.${plan.name(id)}` : plan.name(id);
  };
  const layers = [...plan.parts.flatMap((p) => p.nodes), ...plan.loose].filter((id) => exportOf(id).module && exportOf(id).weights?.length);
  const weights = layers.flatMap((id) =>
    (exportOf(id).weights ?? []).map((w) => `    (${JSON.stringify(`${id}/${w.name}`)}, "${path(id)}.${w.torch}", ${w.permute ? pyTuple(w.permute) : 'None'}),`),
  );
  return [
    `PARTS = [${plan.parts.map((p) => `"${p.name}"`).join(', ')}]`,
    `TERMS = [${plan.terms.map((t) => JSON.stringify(t.label)).join(', ')}]`,
    '# Numbers printed beside the losses, never minimised, and how to print them.',
    `METRICS = {${plan.metrics.map((m) => `${JSON.stringify(m.label)}: "${m.format}"`).join(', ')}}`,
    '# Each layer node and its module.',
    `LAYERS = [${layers.map((id) => `(${JSON.stringify(id)}, "${path(id)}")`).join(', ')}]`,
    '# Our saved weights (Keras layouts) → PyTorch parameters and buffers (moving statistics), and the axes that take one to the other.',
    'WEIGHTS = [',
    ...weights,
    ']',
  ];
}
