// Browser figures for `npm run bench`: the built app in headless Chromium, one backend at a time.
import type { Figure } from './run';

export interface BrowserResult {
  skipped: { section: string; name: string; note: string }[];
}

type Summarise = (section: string, name: string, unit: string, runs: number[], note?: string) => Figure;

export async function browserFigures(summarise: Summarise): Promise<BrowserResult> {
  void summarise;
  return { skipped: [{ section: 'browser', name: 'all backends', note: 'not measured yet' }] };
}
