// Ctrl-C (SIGINT) and SIGTERM: undo what the cleanup registry holds (temporary files, half-built folders,
// live progress bars), give the terminal its cursor and line wrap back, and exit 128 + the signal number.
import { runCleanups } from '../cleanup.js';

export const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/** Shows the cursor and turns line wrap back on (progress bars turn both off while drawing). */
export function restoreTerminal(): void {
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h');
}

export function exitForSignal(signal: 'SIGINT' | 'SIGTERM'): never {
  runCleanups();
  restoreTerminal();
  process.stderr.write(`\nhwq: interrupted (${signal}); no partial output was kept\n`);
  process.exit(SIGNAL_EXIT[signal]);
}

let installed = false;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => exitForSignal(signal));
  }
}
