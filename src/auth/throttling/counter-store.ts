/** A counter's state after a hit: hits in the current window and the seconds it has left. */
export interface Hit {
  hits: number;
  secondsLeft: number;
}

/**
 * Fixed-window counters shared by every instance of the API (PostgreSQL or Redis). The first hit
 * opens a window of `windowSeconds`; later hits never extend it, so a block always ends on time.
 */
export abstract class CounterStore {
  /** Counts one hit, atomically, and returns the count including it. */
  abstract hit(key: string, windowSeconds: number): Promise<Hit>;
  /** Takes back one hit (never below zero), leaving the window as it is. */
  abstract unhit(key: string): Promise<void>;
  abstract reset(key: string): Promise<void>;
}
