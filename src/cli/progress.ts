// Progress on stderr: a bar with an ETA when stderr is a terminal, otherwise a line at every 10% with the
// elapsed time and an ETA (logs stay short).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progress(label: string, enabled = true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
      stop() {
        if (started) bar.stop();
      },
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
