// One sample of a data set: where its input comes from and its label. Apart from the data-set readers so that
// each reader (image folders, IDX, .npy) can name it without importing the others.
import type { RawImage } from './image.js';
import type { NpyHeader } from './npy.js';

/** An image file, decoded pixels, or sample `index` of an .npy file (whose header is read once, when opened). */
export type SampleSource =
  | { kind: 'file'; path: string }
  | { kind: 'pixels'; id: string; image: RawImage }
  | { kind: 'tensor'; path: string; index: number; header: NpyHeader };

export interface Sample {
  source: SampleSource;
  label: number;
}
