// Every job kind, registered on import: what a pool thread or `hwq worker` can run. A new kind is one module here.
export { simPointJob } from './sim-point.js';
export { batchJob } from './batch.js';
export { quantizeKind } from './quantize.js';
export { evaluateKind } from './evaluate.js';
export { sensitivityKind } from './sensitivity.js';
export { rtlImageKind } from './rtl-image.js';
export { rtlSystemImageKind } from './rtl-system-image.js';
