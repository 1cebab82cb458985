// Echoing user values in messages: bounded and escaped, so a file can neither flood a line
// (a 100,000-character id), forge one (a newline or an ANSI escape in a label) nor overflow the
// stack (a value nested 100,000 levels deep, which JSON.stringify would recurse into).

/** At most this many characters of any user value appear in a message. */
export const ECHO_LIMIT = 60;

// Control characters, DEL, C1 controls, line/paragraph separators, and bidi/zero-width format
// characters: none of them may reach a terminal or a message raw.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };
const escapeChar = (c: string) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text of ours that may hold user values: unsafe characters escaped, cut to `limit` characters. A last guard for printed lines. */
export function oneLine(text: string, limit = 280): string {
  const cut = text.length > limit;
  return (cut ? text.slice(0, limit) : text).replace(UNSAFE, escapeChar) + (cut ? '…' : '');
}

/** The text with unsafe characters escaped and cut to `limit` characters (an ellipsis says so). */
export function safeText(text: string, limit = ECHO_LIMIT): string {
  const cut = text.length > limit;
  // Cutting first keeps the work bounded for huge strings; a surrogate pair split at the cut is dropped.
  let head = cut ? text.slice(0, limit) : text;
  if (cut && /[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  return head.replace(/\\/g, '\\\\').replace(UNSAFE, escapeChar) + (cut ? '…' : '');
}

/** A user string in quotes, bounded and escaped: `"conv1"`. */
export const quoted = (text: string, limit = ECHO_LIMIT): string => `"${safeText(text, limit).replace(/"/g, '\\"')}"`;

/**
 * Any JSON value, described in at most about `limit` characters without recursion:
 * `"abc"`, `12`, `true`, `null`, `[1, 2, 3]`, `a list of 5 items`, `an object`.
 */
export function describeValue(v: unknown, limit = ECHO_LIMIT): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return quoted(v, limit);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    // A short list of plain values is shown; anything else is described by its kind and size.
    if (v.length <= 8 && v.every((x) => typeof x === 'number' || typeof x === 'boolean' || x === null)) {
      const text = `[${v.map(String).join(', ')}]`;
      if (text.length <= limit) return text;
    }
    return `a list of ${v.length.toLocaleString('en-US')} item${v.length === 1 ? '' : 's'}`;
  }
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** A count as "69,076", or `?` where it is unknown or not a sensible count (negative, NaN, Infinity, beyond 2⁵³). */
export const countText = (x: number | null | undefined): string =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x.toLocaleString('en-US') : '?';
