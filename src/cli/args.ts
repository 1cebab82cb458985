// Argument parsing and graph reading for the CLI: usage errors exit 2, graph and data errors exit 1.
import { readFile } from 'node:fs/promises';
import { describeDiagnostic, parseText, type Diagnostic } from '../graph/parse';
import type { GraphDocument } from '../graph/document';

export const USAGE = `Usage:
  npm run cli -- summary <graph.json> [--json]
  npm run cli -- train <graph.json> [--epochs N] [--limit N] [--batch-size N] [--seed N] [--backend cpu|wasm|webgpu] [--out DIR]`;

/** A failure the user can fix: printed as is, with its exit code, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message);
  }
}

export const formatDiagnostics = (ds: Diagnostic[]): string => ds.map(describeDiagnostic).join('\n');

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
  if (!parsed.ok) throw new CliError(formatDiagnostics(parsed.diagnostics), 1);
  return parsed.doc;
}

export function intFlag(flags: Map<string, string | true>, name: string, min: number): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new CliError(`--${name} must be a whole number ≥ ${min}, got ${String(v)}.`, 2);
  return n;
}

