/** Runs tasks one at a time, in call order: the entries of one archive must not interleave. */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      return await task();
    } finally {
      release();
    }
  }
}
