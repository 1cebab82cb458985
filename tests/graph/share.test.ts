// Share links: a document round-trips through the fragment; a broken or hostile link opens nothing
// and goes through the same checks as a file.
import { describe, expect, it } from 'vitest';
import { reduce } from '../../src/graph/events';
import { openShareFragment, shareFragment } from '../../src/graph/share';
import { preset } from '../helpers';

describe('share links', () => {
  it('round-trip a modified graph, compressed', async () => {
    let doc = preset('beta-vae');
    doc = reduce(doc, { type: 'setParam', id: 'conv1', name: 'filters', value: 16 });
    doc = reduce(doc, { type: 'rename', name: 'My <b>VAE</b> & co' });
    const hash = await shareFragment(doc);
    expect(hash).toMatch(/^#graph=[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(JSON.stringify(doc).length / 2);
    const back = await openShareFragment(hash);
    expect(back.ok && back.doc).toEqual(doc);
  });

  it('a link that does not decode says so', async () => {
    const good = await shareFragment(preset('beta-vae'));
    for (const hash of ['#graph=', '#graph=%%%', '#graph=AAAA', good.slice(0, good.length / 2), '#other=1']) {
      const r = await openShareFragment(hash);
      expect(r.ok, hash).toBe(false);
      if (!r.ok) expect(r.diagnostics[0].message, hash).toMatch(/does not decode/);
    }
  });

  it('decoded text goes through the same parse as a file', async () => {
    const foreign = await shareFragment({ ...preset('beta-vae'), nodes: [{ id: 'x', type: 'evil', params: {}, position: [0, 0] }], edges: [] });
    const r = await openShareFragment(foreign);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0].message).toMatch(/unknown type "evil"/);
  });
});
