// The IDX format of (Fashion-)MNIST: a magic number (0, 0, type, rank), the size of each
// dimension as big-endian uint32, then the values. We read unsigned bytes (type 0x08) only.

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export class IdxError extends Error {}

export function readIdx(bytes: Uint8Array, name = 'file', expectRank?: number): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) throw new IdxError(`${name} is still gzip-compressed; decompress it before reading.`);
  if (bytes.length < 4) throw new IdxError(`${name} is ${bytes.length} bytes long, too short for an IDX header.`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new IdxError(`${name} is not an IDX file: it should start with two zero bytes, got 0x${hex(bytes[0])} 0x${hex(bytes[1])}.`);
  if (bytes[2] !== 0x08) throw new IdxError(`${name} holds values of type 0x${hex(bytes[2])}; only unsigned bytes (0x08) are supported.`);
  const rank = bytes[3];
  if (expectRank !== undefined && rank !== expectRank)
    throw new IdxError(`${name} has ${rank} dimensions, expected ${expectRank} (magic number 0x0000080${expectRank}).`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new IdxError(`${name} is cut short inside its header (${bytes.length} of ${header} bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected)
    throw new IdxError(`${name} should be ${expected.toLocaleString('en-US')} bytes for dimensions ${dims.join('×')}, but it is ${bytes.length.toLocaleString('en-US')}; the file is truncated or corrupt.`);
  return { dims, data: bytes.subarray(header) };
}

const hex = (b: number) => b.toString(16).padStart(2, '0');
