import { describe, expect, it } from 'vitest';
import { parseBenchArgs, wantsSection } from '../../bench/args';

describe('npm run bench arguments', () => {
  // Today's bug: with no --only, indexOf(-1) + 1 took process.argv[0] (the node binary) as the list, so nothing ran.
  it('no argument runs every section', () => {
    const args = parseBenchArgs([]);
    expect(args.only).toBeNull();
    for (const s of ['compile', 'node', 'pytorch', 'browser', 'editor', 'leaks']) expect(wantsSection(args, s)).toBe(true);
  });
  it('--only a,b and --only=a,b pick those sections', () => {
    for (const argv of [['--only', 'node,editor'], ['--only=node,editor'], ['--only', 'node', '--only', 'editor']]) {
      const args = parseBenchArgs(argv);
      expect(args.only).toEqual(['node', 'editor']);
      expect(wantsSection(args, 'node')).toBe(true);
      expect(wantsSection(args, 'leaks')).toBe(false);
    }
  });
  it('refuses a missing list and unknown arguments', () => {
    expect(() => parseBenchArgs(['--only'])).toThrow(/needs a comma-separated list/);
    expect(() => parseBenchArgs(['--only', '--fast'])).toThrow(/needs a comma-separated list/);
    expect(() => parseBenchArgs(['--only='])).toThrow(/needs a comma-separated list/);
    expect(() => parseBenchArgs(['node'])).toThrow(/Unknown argument "node"/);
  });
});
