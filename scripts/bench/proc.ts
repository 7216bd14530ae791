/**
 * Child processes for the benchmarks: every program runs pinned to one core
 * with `taskset`, under a raised open-file limit, and is stopped by its PID.
 *
 * @module
 */

/** A line-oriented view of a child's stderr, drained in the background so the pipe never fills. */
export class Lines {
  readonly #lines: string[] = [];
  readonly #waiters: Array<() => void> = [];
  #ended = false;
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let rest = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        for (const p of parts) this.#push(p);
      }
      if (rest) this.#push(rest);
      this.#ended = true;
      this.#wake();
    })().catch(() => {
      this.#ended = true;
      this.#wake();
    });
  }

  #push(line: string) {
    this.#lines.push(line);
    if (this.#lines.length > 2000) this.#lines.splice(0, 1000);
    this.#wake();
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Every line kept so far (the last thousand or more). */
  get all(): readonly string[] {
    return this.#lines;
  }

  /** Waits for a line matching `re`; throws after `timeoutMs` or at end of stream. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = performance.now() + timeoutMs;
    let seen = 0;
    while (true) {
      for (; seen < this.#lines.length; seen++) {
        const m = this.#lines[seen].match(re);
        if (m) return m;
      }
      if (this.#ended) throw new Error(`stream ended before ${re}: ${this.tail()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}: ${this.tail()}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        timer = setTimeout(r, left);
      });
      clearTimeout(timer);
    }
  }

  /** The last few lines, for error messages. */
  tail(n = 5): string {
    return this.#lines.slice(-n).join(" / ");
  }
}

/** How to run one pinned program. */
export interface PinnedCommand {
  /** The CPU list for taskset, e.g. "0" or "0,1". */
  cpus: string;
  /** The program. */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Working directory. */
  cwd?: string;
  /** Pipe stdout (else it is discarded). @default false */
  stdout?: boolean;
  /** Pipe stdin (else /dev/null). @default false */
  stdin?: boolean;
}

/** A pinned program that was started. */
export interface Started {
  child: Deno.ChildProcess;
  pid: number;
  stderr: Lines;
}

/**
 * Starts `cmd` through `bash -c 'ulimit -n <hard>; exec taskset -c CPUS cmd ...'`:
 * the open-file limit is raised to the hard limit in the child itself, and
 * `exec` keeps the PID the program's own.
 */
export function startPinned(c: PinnedCommand): Started {
  const child = new Deno.Command("bash", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"', c.cpus, c.cmd, ...c.args],
    cwd: c.cwd,
    stdin: c.stdin ? "piped" : "null",
    stdout: c.stdout ? "piped" : "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return { child, pid: child.pid, stderr: new Lines(child.stderr) };
}

/**
 * Stops a started program: waits up to `exitMs` for it to exit by itself,
 * then SIGTERM, then SIGKILL after `graceMs`. Safe to call twice.
 */
export async function stop(s: Started, graceMs = 5000, exitMs = 0): Promise<Deno.CommandStatus> {
  if (exitMs > 0) {
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([s.child.status, new Promise((r) => t = setTimeout(r, exitMs))]);
    clearTimeout(t);
  }
  try {
    s.child.kill("SIGTERM");
  } catch { /* exited already */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), graceMs));
  const first = await Promise.race([s.child.status, late]);
  clearTimeout(timer);
  if (first === "late") {
    try {
      s.child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }
  const status = await s.child.status;
  await s.stderr.done;
  return status;
}

/** Result of a program run to completion. */
export interface Finished {
  code: number;
  /** Whole-process wall time, ms. */
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a pinned program to completion (killed after `timeoutMs`) and times it. */
export async function runPinned(c: PinnedCommand, timeoutMs = 120_000): Promise<Finished> {
  const t0 = performance.now();
  const s = startPinned({ ...c, stdout: true });
  const out = new Response(s.child.stdout).text();
  const timer = setTimeout(() => {
    try {
      s.child.kill("SIGKILL");
    } catch { /* exited */ }
  }, timeoutMs);
  const status = await s.child.status;
  const ms = performance.now() - t0;
  clearTimeout(timer);
  await s.stderr.done;
  return { code: status.code, ms, stdout: await out, stderr: s.stderr.all.join("\n") };
}

/** VmRSS of a process, KiB (from /proc/PID/status). */
export async function rssKiB(pid: number): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = text.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a benchmark). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
