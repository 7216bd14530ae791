/**
 * Running the system tools a test cluster is built with (`ip`, `mount`,
 * `gluster`, `nsenter`, ...): every command has a time bound, and a failure
 * says which command failed and what it printed. The tests run their peers
 * and netkit itself through {@linkcode run} too.
 *
 * @module
 */

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Kill the command after this long, ms. @default 30000 */
  timeoutMs?: number;
  /** Fail on a non-zero exit. @default true */
  check?: boolean;
  /** Text for its standard input. @default none */
  stdin?: string;
  /** Its working folder. @default this process's */
  cwd?: string;
  /** Variables added to this process's environment. @default `{ NO_COLOR: "1", LC_ALL: "C" }` */
  env?: Record<string, string>;
}

/** What a finished command printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args` to completion within `timeoutMs`.
 *
 * @throws Error naming the command when it fails (unless `check` is off) or times out
 */
export async function run(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signal = AbortSignal.timeout(timeoutMs);
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal,
    env: options.env ?? { NO_COLOR: "1", LC_ALL: "C" },
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  const result = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  const line = [cmd, ...args].join(" ");
  if (signal.aborted && out.code !== 0) throw new Error(`timed out after ${timeoutMs} ms: ${line}`);
  if ((options.check ?? true) && out.code !== 0) {
    const said = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`failed (exit ${out.code}): ${line}: ${said}`);
  }
  return result;
}

/** Options of {@linkcode until}. */
export interface UntilOptions {
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** What is awaited, for the error message. */
  what: string;
}

/**
 * Polls `ready` (at growing pauses, 20 ms up to 500 ms) until it returns a
 * value other than `false`/`null`/`undefined`, for daemons that announce
 * nothing (glusterd's peers, a FUSE mount, a balancer's port). Bounded in
 * time: the caller names the bound and what it waits for.
 *
 * @throws Error when `timeoutMs` passes first (with the last error `ready` threw)
 */
export async function until<T>(
  ready: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  options: UntilOptions,
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let pause = 20;
  let last: unknown = null;
  while (true) {
    try {
      const v = await ready();
      if (v !== false && v !== null && v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      const why = last ? ` (last error: ${(last as Error).message ?? last})` : "";
      throw new Error(`gave up after ${options.timeoutMs} ms waiting for ${options.what}${why}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(pause, left)));
    pause = Math.min(pause * 2, 500);
  }
}

/** True when something accepts TCP connections at `hostname:port`. */
export async function listening(hostname: string, port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname, port, signal: AbortSignal.timeout(1000) });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/** True while the process `pid` exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Stops the process `pid`: SIGTERM, then SIGKILL if it is still there after
 * `graceMs`. Resolves once it is gone (or after a bound if it cannot be killed).
 */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  if (!alive(pid)) return;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch { /* gone already */ }
  try {
    await until(() => !alive(pid), { timeoutMs: graceMs, what: `process ${pid} to stop` });
    return;
  } catch { /* still there: kill it */ }
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone already */ }
  await until(() => !alive(pid), { timeoutMs: 5000, what: `process ${pid} to die` }).catch(
    () => {},
  );
}

/**
 * Starts `cmd args` in a session of its own (`setsid`: it outlives the
 * caller and no terminal signal reaches it), its output appended to `log`.
 * `setsid` and `sh` exec what follows, so the PID is the command's own
 * (and stays so when `cmd` itself execs, as `ip netns exec` does).
 *
 * @returns its PID
 */
export function spawnDetached(
  cmd: string,
  args: string[],
  log: string,
  env: Record<string, string> = {},
): number {
  const proc = new Deno.Command("setsid", {
    args: ["sh", "-c", 'exec "$@" >>"$NK_LOG" 2>&1', "sh", cmd, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { ...env, NK_LOG: log },
  }).spawn();
  proc.unref();
  proc.status.then(() => {}, () => {});
  return proc.pid;
}
