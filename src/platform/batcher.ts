/**
 * Coalesces calls made around the same moment into one call of `run` (one SQL statement, one
 * Redis round trip) instead of one each. Items queue while `maxInFlight` batches run, so
 * batches grow with load and latency stays at about one round trip when idle.
 * `run` returns one result per item, in order; if it throws, every caller of that batch gets the error.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: { maxBatch?: number; maxInFlight?: number } = {}) {
  const maxBatch = opts.maxBatch ?? 500;
  const maxInFlight = opts.maxInFlight ?? 2;
  const waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight || waiting.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    if (inFlight >= maxInFlight || waiting.length === 0) return;
    const batch = waiting.splice(0, maxBatch);
    inFlight++;
    run(batch.map((b) => b.item))
      .then(
        (out) => {
          for (const [i, b] of batch.entries()) b.resolve(out[i] as O);
        },
        (err: unknown) => {
          for (const b of batch) b.reject(err);
        },
      )
      .finally(() => {
        inFlight--;
        schedule();
      });
    schedule();
  }

  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
