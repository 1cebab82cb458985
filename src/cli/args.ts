// Argument parsing and graph reading for the CLI: usage errors exit 2, graph and data errors exit 1.
import { readFile } from 'node:fs/promises';
import { allProblems } from '../graph/analyze';
import { quoted } from '../graph/describe';
import { describeDiagnostic, parseText, type Diagnostic } from '../graph/parse';
import type { GraphDocument } from '../graph/document';

export const USAGE = `Usage:
  npm run cli -- summary <graph.json> [--json] [--data PATH]
  npm run cli -- train <graph.json> [--epochs N] [--limit N] [--batch-size N] [--seed N] [--backend cpu|wasm|webgpu] [--threads N] [--out DIR] [--data PATH] [--from MODEL_DIR]
  npm run cli -- export <graph.json> --to pytorch|keras|tfjs-layers [--out FILE|DIR] [--weights DIR]
  --data PATH: your own images instead of the graph's dataset: a folder of class sub-folders with PNGs,
  a zip of one, a folder of IDX files, or an IDX images file with its labels file beside it.`;

/** A failure the user can fix: printed as is, with its exit code, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message);
  }
}

/** One line per diagnostic; a flood (a file with 100,000 bad nodes) is cut after the first 100. */
export const formatDiagnostics = (ds: Diagnostic[], most = 100): string =>
  [...ds.slice(0, most).map(describeDiagnostic), ...(ds.length > most ? [`… and ${(ds.length - most).toLocaleString('en-US')} more problems.`] : [])].join('\n');

export interface ParsedArgs {
  command: string;
  file: string;
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], valueFlags: Record<string, readonly string[]>): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || !(command in valueFlags)) throw new CliError(command ? `Unknown command "${command}".\n${USAGE}` : USAGE, 2);
  const allowed = valueFlags[command];
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2);
    if (name === 'json' && command === 'summary') flags.set('json', true);
    else if (allowed.includes(name)) {
      const v = inline ?? rest[++i];
      if (v === undefined || v.startsWith('--')) throw new CliError(`--${name} needs a value.\n${USAGE}`, 2);
      flags.set(name, v);
    } else throw new CliError(`Unknown option --${name} for ${command}.\n${USAGE}`, 2);
  }
  if (positional.length !== 1) throw new CliError(`${command} takes one graph file.\n${USAGE}`, 2);
  return { command, file: positional[0], flags };
}

export async function readGraph(file: string): Promise<GraphDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`Cannot read ${file}.`, 1);
  }
  const parsed = parseText(text);
  if (!parsed.ok) throw new CliError(formatDiagnostics(allProblems(parsed)), 1);
  return parsed.doc;
}

export function intFlag(flags: Map<string, string | true>, name: string, min: number, max: number): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}, got ${quoted(String(v))}.`, 2);
  return n;
}
