/**
 * Seeded fuzzing in the suite: each fuzz test runs a fixed number of
 * iterations from a fixed seed, so it is the same on every run and a failure
 * replays exactly. `NETKIT_FUZZ_ITERATIONS=N` runs N iterations of every
 * fuzz test instead (the longer opt-in run), `NETKIT_FUZZ_SEED=S` starts from
 * another seed, and `NETKIT_FUZZ_ONLY=I` runs iteration I alone.
 *
 * @module
 */

import { Prng } from "./prng.ts";

const env = (name: string) => Deno.env.get(name);

/** The seed of a test: `NETKIT_FUZZ_SEED`, or one derived from its name. */
function seedOf(name: string): number {
  const given = env("NETKIT_FUZZ_SEED");
  if (given !== undefined) return Number(given) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The PRNG of one iteration, so any iteration can be replayed alone. */
function rngOf(seed: number, i: number): Prng {
  return new Prng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
}

/** How a fuzz test runs. */
export interface FuzzOptions {
  /** Iterations in the suite. */
  iterations: number;
  /**
   * Words `body` may return for what happened (`"decoded"`, `"refused"`):
   * each must come up at least once, so a fuzz stuck on one path fails.
   * @default none
   */
  outcomes?: readonly string[];
  /**
   * Share of `NETKIT_FUZZ_ITERATIONS` this test runs in the longer run (for
   * tests that start servers, say 0.001), never fewer than `iterations`.
   * @default 1
   */
  scale?: number;
}

/**
 * Registers a fuzz test: `body` runs `iterations` times (more with
 * `NETKIT_FUZZ_ITERATIONS`), each with its own PRNG, and may return a word
 * for what happened. A failure is reported with the seed and the iteration,
 * and how to replay it.
 */
export function fuzz(
  name: string,
  o: FuzzOptions,
  body: (rng: Prng, i: number) => string | void | Promise<string | void>,
): void {
  Deno.test(`fuzz: ${name}`, async () => {
    const seed = seedOf(name);
    const only = env("NETKIT_FUZZ_ONLY");
    const longer = env("NETKIT_FUZZ_ITERATIONS");
    const n = longer === undefined
      ? o.iterations
      : Math.max(o.iterations, Math.round(Number(longer) * (o.scale ?? 1)));
    const from = only === undefined ? 0 : Number(only);
    const to = only === undefined ? n : from + 1;
    const seen = new Set<string>();
    for (let i = from; i < to; i++) {
      let outcome: string | void;
      try {
        outcome = await body(rngOf(seed, i), i);
      } catch (e) {
        const replay = `NETKIT_FUZZ_SEED=${seed} NETKIT_FUZZ_ONLY=${i}`;
        throw new Error(
          `fuzz "${name}" failed at iteration ${i} of seed ${seed} (replay: ${replay}): ${
            e instanceof Error ? e.message : String(e)
          }`,
          { cause: e },
        );
      }
      if (outcome) seen.add(outcome);
    }
    if (only !== undefined) return;
    const missed = (o.outcomes ?? []).filter((word) => !seen.has(word));
    if (missed.length > 0) {
      throw new Error(`fuzz "${name}" (seed ${seed}) never reached: ${missed.join(", ")}`);
    }
  });
}

/** A string of `n` characters drawn from `alphabet`. */
export function stringOf(rng: Prng, alphabet: readonly string[], n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += rng.pick(alphabet);
  return s;
}

/** `bytes` with up to `k` random changes: bytes flipped, inserted, deleted, or the end cut. */
export function mutate(rng: Prng, bytes: Uint8Array, k = 4): Uint8Array {
  let b = Array.from(bytes);
  const changes = 1 + rng.int(k);
  for (let c = 0; c < changes; c++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(4)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = rng.int(256);
        break;
      case 1:
        b.splice(at, 0, rng.pick([0, 0xff, 0x2f, 0x2e, 0x25, rng.int(256)]));
        break;
      case 2:
        b.splice(at, 1);
        break;
      case 3:
        b = b.slice(0, at);
        break;
    }
  }
  return new Uint8Array(b);
}
