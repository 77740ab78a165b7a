// Simulated time: runs `accelerate` times faster than the wall clock from the moment it starts.
export class SimClock {
  private readonly realStart: number;
  private readonly simStart: number;

  constructor(
    readonly accelerate = 1,
    simStart: Date = new Date(),
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(accelerate > 0)) throw new RangeError(`accelerate must be > 0, got ${accelerate}`);
    this.realStart = realNow();
    this.simStart = simStart.getTime();
  }

  now(): Date {
    return new Date(this.simStart + (this.realNow() - this.realStart) * this.accelerate);
  }
}
