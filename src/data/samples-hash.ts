// A content hash of a list of samples: each one's bytes (the image file, the decoded pixels, or the .npy file and
// the index in it) and its label, in order. Results computed from the samples (a sensitivity table, an accuracy)
// are cached under it, so they are found again only when the very same data comes back, whatever its path.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Sample } from './sample.js';

export function samplesHash(samples: readonly Sample[]): string {
  const h = createHash('sha256');
  const files = new Map<string, string>();
  const fileHash = (path: string): string => {
    let v = files.get(path);
    if (v === undefined) {
      v = createHash('sha256').update(readFileSync(path)).digest('hex');
      files.set(path, v);
    }
    return v;
  };
  for (const s of samples) {
    const src = s.source;
    if (src.kind === 'file') h.update(`file ${fileHash(src.path)}`);
    else if (src.kind === 'tensor') h.update(`tensor ${fileHash(src.path)} ${src.index}`);
    else h.update(`pixels ${src.image.width}x${src.image.height}x${src.image.channels} `).update(src.image.data);
    h.update(` label ${s.label}\n`);
  }
  return h.digest('hex');
}
