// A graph in a link: the document's JSON, deflated (CompressionStream 'deflate-raw', in browsers and
// Node alike) and base64url-encoded into the URL's fragment (#graph=…), which never reaches a server.
// A link is untrusted input: decoding ends in the same `openText` as a file, so it is parsed and
// checked exactly as one; what does not decode opens nothing and says why.
import type { GraphDocument } from './document';
import { openText } from './open';
import type { ParseResult } from './parse';

export const SHARE_PREFIX = '#graph=';

async function through(bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The fragment that carries a document: `#graph=` and the deflated JSON in base64url. */
export async function shareFragment(doc: GraphDocument): Promise<string> {
  const packed = await through(new TextEncoder().encode(JSON.stringify(doc)), new CompressionStream('deflate-raw'));
  return SHARE_PREFIX + toBase64Url(packed);
}

/** Does this URL fragment carry a graph? */
export const isShareFragment = (hash: string): boolean => hash.startsWith(SHARE_PREFIX);

/** A fragment back to a document, through the same checks as a file; what is wrong when it does not decode. */
export async function openShareFragment(hash: string): Promise<ParseResult> {
  const broken = (why: string): ParseResult => ({ ok: false, diagnostics: [{ message: `This link does not decode to a graph: ${why}` }] });
  if (!isShareFragment(hash)) return broken('it has no "#graph=" part.');
  const bytes = fromBase64Url(hash.slice(SHARE_PREFIX.length));
  if (!bytes || bytes.length === 0) return broken('the text after "#graph=" is not base64url (it may have been cut short or edited).');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await through(bytes, new DecompressionStream('deflate-raw')));
  } catch {
    return broken('its data is not compressed graph text (it may have been cut short or edited).');
  }
  return openText(text);
}
