// Progress on stderr: a bar with an ETA when stderr is a terminal, otherwise a line at every 10% with the
// elapsed time and an ETA (logs stay short). A live bar registers with the cleanup registry, so an
// interrupted run stops it (the bar hides the cursor and turns line wrap off until stopped).
import cliProgress from 'cli-progress';
import { onCleanup } from '../cleanup.js';

/**
 * true: report from the start; false: never; 'auto' (no flag given): a bar on a terminal, and off a terminal
 * plain lines once the work has run QUIET_MS, so quick runs stay silent and long ones show in CI logs.
 */
export type ProgressMode = boolean | 'auto';

const QUIET_MS = 1000;

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** `delayMs`: report nothing until the work has run this long (quick runs stay silent). */
export function progress(label: string, mode: ProgressMode = true, delayMs = 0): Progress {
  if (mode === false) return { update() {}, stop() {} };
  if (mode === 'auto' && !process.stderr.isTTY) delayMs = Math.max(delayMs, QUIET_MS);
  if (delayMs > 0) {
    const t0 = Date.now();
    const inner = progress(label, true);
    return {
      update(done, total) {
        if (Date.now() - t0 >= delayMs) inner.update(done, total);
      },
      stop: () => inner.stop(),
    };
  }
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let release: (() => void) | undefined;
    const stop = () => {
      if (!release) return;
      release();
      release = undefined;
      bar.stop();
    };
    return {
      update(done, total) {
        if (!release) {
          bar.start(total, 0);
          release = onCleanup(stop);
        }
        bar.update(done);
      },
      stop,
    };
  }
  let lastDecile = -1;
  const t0 = Date.now();
  return {
    update(done, total) {
      const decile = Math.floor((10 * done) / total);
      if (decile !== lastDecile) {
        lastDecile = decile;
        const elapsed = (Date.now() - t0) / 1000;
        const eta = done > 0 && done < total ? `, ETA ${((elapsed * (total - done)) / done).toFixed(0)} s` : '';
        process.stderr.write(`${label}: ${done}/${total} (${elapsed.toFixed(1)} s${eta})\n`);
      }
    },
    stop() {},
  };
}

const YIELD_EVERY_MS = 50;

/**
 * Runs a step generator (sim/steps.ts) to its end, reporting each step to `bar` and giving the event loop a
 * turn every few tens of milliseconds, so Ctrl-C is handled at once instead of after the whole computation.
 */
export async function driveSteps<T>(steps: Generator<number, T>, total: number, bar: Progress): Promise<T> {
  let turn = Date.now();
  try {
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
      bar.update(s.value, total);
      if (Date.now() - turn >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = Date.now();
      }
    }
  } finally {
    bar.stop();
  }
}

/** Progress through named stages: a new bar whenever the stage changes (the quantizer's passes, a campaign's phases). */
export interface StagedProgress {
  update(stage: string, done: number, total: number): void;
  /** Ends the current bar (before a log line, or at the end); the next update starts a new one. */
  stop(): void;
}

export function stagedProgress(mode: ProgressMode): StagedProgress {
  let bar: Progress = progress('', false);
  let stage: string | undefined;
  return {
    update(s, done, total) {
      if (s !== stage) {
        bar.stop();
        bar = progress(s, mode);
        stage = s;
      }
      bar.update(done, total);
    },
    stop() {
      bar.stop();
      stage = undefined;
    },
  };
}
