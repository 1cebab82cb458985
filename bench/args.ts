// `npm run bench [-- --only a,b]`: which sections to run. No argument: every section.

export interface BenchArgs {
  /** The sections asked for; null = every section. */
  only: string[] | null;
}

/** Parses the arguments after the script name (process.argv.slice(2)); throws on anything it does not know. */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  let only: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a !== '--only' && !a.startsWith('--only=')) throw new Error(`Unknown argument "${a}". Usage: npm run bench [-- --only section,section]`);
    const value = a === '--only' ? args[++i] : a.slice('--only='.length);
    const sections = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!sections.length || value!.startsWith('--')) throw new Error('--only needs a comma-separated list of sections, e.g. --only node,editor');
    only = [...(only ?? []), ...sections];
  }
  return { only };
}

export const wantsSection = (args: BenchArgs, section: string): boolean => args.only === null || args.only.includes(section);
