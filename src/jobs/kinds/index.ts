// Every job kind, registered on import: what a pool thread or `hwq worker` can run. A new kind is one module here.
export { simPointJob } from './sim-point.js';
