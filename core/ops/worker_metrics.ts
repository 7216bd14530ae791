/**
 * Metrics from Worker isolates: each Worker keeps its own counts (plain
 * numbers, nothing shared on the hot path) and posts a snapshot when its
 * parent asks; the parent sums them (`mergeSnapshots`). A Worker answers in
 * the order it was asked, so one queue of waiters per Worker pairs answers
 * with questions.
 *
 * @module
 */

import type { MetricsSnapshot } from "./metrics.ts";

/** The parent's side: questions sent to Workers, waiting for their answers. */
export class WorkerMetrics {
  readonly #waiting = new Map<Worker, ((snapshots: MetricsSnapshot[]) => void)[]>();
  #ended = false;

  /**
   * Asks `worker` for its snapshots by posting `request`.
   *
   * @returns its answer, or none once the Worker has gone
   */
  ask(worker: Worker, request: unknown): Promise<MetricsSnapshot[]> {
    return new Promise((answer) => {
      if (this.#ended) return answer([]);
      const queue = this.#waiting.get(worker) ?? [];
      this.#waiting.set(worker, queue);
      queue.push(answer);
      worker.postMessage(request);
    });
  }

  /** Hands `worker`'s answer to the oldest question put to it. */
  answered(worker: Worker, snapshots: MetricsSnapshot[]): void {
    this.#waiting.get(worker)?.shift()?.(snapshots);
  }

  /** Answers every question put to `worker` with nothing (it failed). */
  gone(worker: Worker): void {
    this.#waiting.get(worker)?.splice(0).forEach((answer) => answer([]));
  }

  /** Answers every open question with nothing, and any later one at once. */
  end(): void {
    this.#ended = true;
    for (const w of this.#waiting.keys()) this.gone(w);
  }
}
