// One registry of what an interrupted run must undo: temporary files and half-built folders, progress bars
// that took over the terminal. Code that creates such a thing registers it and deregisters it once the
// result is in place; the CLI's signal handler runs whatever is still registered (src/cli/interrupt.ts).
import { rmSync } from 'node:fs';

const pending = new Set<() => void>();

/** Registers `undo` until the returned function is called. */
export function onCleanup(undo: () => void): () => void {
  pending.add(undo);
  return () => {
    pending.delete(undo);
  };
}

/** Registers a temporary file or folder, removed (recursively) if the run is cut short. */
export function registerTemp(path: string): () => void {
  return onCleanup(() => rmSync(path, { recursive: true, force: true }));
}

/** Runs every registered undo once, newest first; one failing undo does not stop the others. */
export function runCleanups(): void {
  for (const undo of [...pending].reverse()) {
    pending.delete(undo);
    try {
      undo();
    } catch {
      // best effort: the process is about to exit and has nowhere better to report it
    }
  }
}

/** A child process (a simulator run) was stopped by this signal: the user interrupted the run. */
export class Interrupted extends Error {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}
