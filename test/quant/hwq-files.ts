// Damaged .hwq files for the tests of the reader (test/quant) and of `hwq rtl --model` (test/rtl).
import { HWQ_PREFIX, sealHwq } from '../../src/intmodel/format.js';

/**
 * `bytes` (a .hwq file) with its JSON header replaced by `rewrite(json)`, the blob moved behind it and the
 * checksum made valid again: a file a faulty writer could produce, for tests of the reader's other checks.
 */
export function rewriteHwqHeader(bytes: Uint8Array, rewrite: (json: string) => string): Uint8Array {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const json = new TextDecoder().decode(bytes.subarray(HWQ_PREFIX, HWQ_PREFIX + headerLength));
  const changed = new TextEncoder().encode(rewrite(json));
  const blobStart = Math.ceil((HWQ_PREFIX + headerLength) / 8) * 8;
  const newStart = Math.ceil((HWQ_PREFIX + changed.length) / 8) * 8;
  const out = new Uint8Array(newStart + bytes.length - blobStart);
  out.set(changed, HWQ_PREFIX);
  out.set(bytes.subarray(blobStart), newStart);
  return sealHwq(out, changed.length);
}
