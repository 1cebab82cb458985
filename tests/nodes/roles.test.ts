// Nothing outside nodes/ finds out what a node is by its type string: roles are declared by the
// node definitions (nodes/define.ts NodeRole) and looked up with nodes/roles.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTypes } from '../../nodes';
import { hasRole, nodesWithRole } from '../../nodes/roles';
import { preset } from '../helpers';

const root = path.resolve(__dirname, '../..');
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|vue)$/.test(name) ? [p] : [];
  });
}

// A type id may appear in src/ only where the same word means something else: a plot's data kind
// (Plot['kind'], what the renderer draws), a role kind ('dataset', 'objective' are roles too), or
// the training setting `dataset`.
const ALLOWED = [/\bkind\b/, /plotsOf\(/, /nodesWithRole\(|hasRole\(|roleOf\(/, /Pick<TrainingSettings|\['training'\]\['dataset'\]/, /SETTINGS\["dataset"\]/];
/** The renderer switches on the plot data's kind (Plot['kind']), not on a node. */
const PLOT_KIND_FILES = new Set(['src/train/draw.ts', 'src/train/plot-types.ts']);

describe('roles, not type strings', () => {
  it('no registered type id is tested as a string literal anywhere in src/', () => {
    const ids = nodeTypes.map((d) => d.type);
    const found: string[] = [];
    for (const file of sourceFiles(path.join(root, 'src'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const id of ids)
            if ((line.includes(`'${id}'`) || line.includes(`"${id}"`)) && !ALLOWED.some((re) => re.test(line)) && !PLOT_KIND_FILES.has(path.relative(root, file)))
              found.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('no node’s type is compared with a literal (n.type === …, node.type === …)', () => {
    const found: string[] = [];
    for (const file of sourceFiles(path.join(root, 'src')))
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!/typeof/.test(line) && /(\bn|\bnode|\bdef|props\.data)\.type\s*[!=]==?\s*['"]/.test(line)) found.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
        });
    expect(found).toEqual([]);
  });

  it('the presets find their parts by role', () => {
    const vae = preset('beta-vae');
    expect(nodesWithRole(vae.nodes, 'dataset').map((d) => d.node.id)).toEqual(['data']);
    expect(nodesWithRole(vae.nodes, 'latent-sampler').map((d) => d.role)).toEqual([{ kind: 'latent-sampler', mean: 'mean', logVar: 'logVar', z: 'z' }]);
    expect(nodesWithRole(vae.nodes, 'plot')).toHaveLength(3);
    expect(vae.nodes.filter((n) => hasRole(n.type, 'objective'))).toHaveLength(1);
  });

  it('every role names ports the node has', () => {
    for (const def of nodeTypes) {
      const role = def.role;
      const ins = new Set(def.inputs.map((p) => p.name));
      const outs = new Set(def.outputs.map((p) => p.name));
      if (!role) continue;
      if (role.kind === 'dataset') expect([outs.has(role.image), outs.has(role.label)], def.type).toEqual([true, true]);
      if (role.kind === 'objective') expect(ins.has(role.losses), def.type).toBe(true);
      if (role.kind === 'latent-sampler') expect([ins.has(role.mean), ins.has(role.logVar), outs.has(role.z)], def.type).toEqual([true, true, true]);
      if (role.kind === 'loss') for (const p of [role.prediction, role.mean, role.logVar]) if (p) expect(ins.has(p), `${def.type}.${p}`).toBe(true);
      if (role.kind === 'plot') for (const p of Object.values(role.plot.reads)) expect(ins.has(p!), `${def.type}.${p}`).toBe(true);
      if (role.kind === 'metric') expect(outs.has(role.output), 'a metric is a value, not a port on the canvas').toBe(false);
    }
  });
});
