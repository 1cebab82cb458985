// The Wirelab command line: the same core as the app, in Node.
//   summary <graph.json> [--json]
//   train <graph.json> [--epochs N] [--limit N] [--batch-size N] [--seed N] [--backend cpu|wasm|webgpu] [--threads N] [--out DIR] [--from MODEL_DIR]
//   export <graph.json> --to pytorch|keras|tfjs-layers [--out FILE|DIR] [--weights DIR]
// Exit codes: 0 done; 1 invalid graph or data (one line per diagnostic); 2 bad usage.
import { analyze } from '../graph/analyze';
import type { Diagnostic } from '../graph/parse';
import { CliError, formatDiagnostics, parseArgs, readGraph } from './args';
import { summaryJson, summaryText } from './summary';
import { ownData, withOwnData } from './own-data';

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    summary: ['data'],
    train: ['epochs', 'limit', 'batch-size', 'seed', 'backend', 'threads', 'out', 'data', 'from'],
    export: ['to', 'out', 'weights', 'data'],
  });
  const own = await ownData(args.flags);
  const doc = withOwnData(await readGraph(args.file), own);
  if (args.command === 'summary') {
    const analysis = analyze(doc);
    if (args.flags.has('json')) console.log(JSON.stringify(summaryJson(doc, analysis), null, 2));
    else console.log(summaryText(doc, analysis));
    return analysis.diagnostics.length ? 1 : 0;
  }
  if (args.command === 'export') {
    const { exportCommand } = await import('./export-command');
    await exportCommand(doc, args.flags);
    return 0;
  }
  const { trainCommand } = await import('./train-command');
  await trainCommand(doc, args.flags, own);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof CliError) {
      console.error(e.message);
      process.exit(e.code);
    }
    const diagnostics = (e as { diagnostics?: Diagnostic[] }).diagnostics;
    if (diagnostics) {
      console.error(formatDiagnostics(diagnostics));
      process.exit(1);
    }
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
