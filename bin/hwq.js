#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist by `npm ci`'s prepare step or `npm run build`).
import '../dist/src/cli/main.js';
