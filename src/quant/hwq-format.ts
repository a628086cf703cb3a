export { writeHwq } from './hwq-export.js';
