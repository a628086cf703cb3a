// Long computations (a network simulation, a sweep) run as generators that yield how much is done, so a
// caller can show progress and let the event loop run (signals, timers) between steps; finishSteps runs
// one straight through for callers that need neither.
export function finishSteps<T>(steps: Generator<number, T>): T {
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}
