/**
 * Helpers that run netkit as a user would: the real program in a child
 * process, with the permissions and flags baked into the compiled binary.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { run, type RunResult } from "../scripts/cluster/exec.ts";
import { PERMISSIONS, UNSTABLE, V8_FLAGS } from "../scripts/compile.ts";

export type { RunResult };

// A platform path: a URL's pathname would be "/C:/..." on Windows.
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/**
 * The argument list that runs `main.ts` with exactly the flags and the
 * narrow permissions the compiled binary gets, so the tests prove they are
 * enough.
 */
export function netkitArgs(args: string[]): string[] {
  return ["run", ...UNSTABLE, ...V8_FLAGS, ...PERMISSIONS, MAIN, ...args];
}

/** Options of {@linkcode runNetkit}. */
export interface RunOptions {
  /** Text fed to its stdin (closed after). @default stdin is null */
  stdin?: string;
  /** Its working folder. */
  cwd?: string;
  /** Capabilities to take away, as an ordinary user lacks them (`setpriv`, when root). */
  dropCaps?: string[];
  /** Kill it and fail after this long, ms. @default 120000 */
  timeoutMs?: number;
}

/**
 * The command prefix that runs a program without `caps`: `setpriv` drops
 * them from root's bounding set; anyone else has none of them anyway. Null
 * when root has no `setpriv` to do it with.
 */
export function withoutCaps(caps: string[]): string[] | null {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return [];
  try {
    Deno.statSync("/usr/bin/setpriv");
  } catch {
    return null;
  }
  return ["/usr/bin/setpriv", `--bounding-set=${caps.map((c) => `-${c}`).join(",")}`];
}

/** Runs netkit to completion with `stdin` as its input; any exit code is an answer. */
export function runNetkit(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const prefix = options.dropCaps ? withoutCaps(options.dropCaps) : [];
  if (prefix === null) throw new Error("cannot drop capabilities here (no setpriv)");
  const [command, ...before] = [...prefix, Deno.execPath()];
  return run(command, [...before, ...netkitArgs(args)], {
    cwd: options.cwd,
    stdin: options.stdin,
    check: false,
    timeoutMs: options.timeoutMs ?? 120_000,
    env: { NO_COLOR: "1" },
  });
}

/** A server running in a child process. */
export interface ChildServer extends AsyncDisposable {
  /** The port it announced (0 when it announced none). */
  port: number;
  /** The process. */
  child: Deno.ChildProcess;
  /** Everything it wrote to stderr until now (grows as it runs). */
  stderr(): string;
  /** Sends `signal` and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** The line a server prints once it listens; its group, if any, is the port. */
const LISTENING = / on (?:\[[^\]]+\]|[^\s:]+):(\d+)/;

/**
 * Starts `netkit <args>` and waits for its line announcing `on HOST:PORT`
 * (or matching `ready`, whose first group, if any, is the port).
 *
 * @throws when the process exits before announcing
 */
export function startNetkitServer(
  args: string[],
  cwd?: string,
  ready = LISTENING,
): Promise<ChildServer> {
  return startServerProcess(Deno.execPath(), netkitArgs(args), cwd, ready);
}

/**
 * Starts `command args` and waits for its line announcing `on HOST:PORT`
 * (or matching `ready`).
 *
 * @throws when the process exits before announcing
 */
export async function startServerProcess(
  command: string,
  args: string[],
  cwd?: string,
  ready = LISTENING,
): Promise<ChildServer> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let port = -1;
  while (port < 0) {
    const r = await reader.read();
    if (r.done) {
      await child.status;
      throw new Error(`server exited before listening:\n${text}`);
    }
    text += r.value;
    const m = ready.exec(text);
    if (m) port = Number(m[1] ?? 0);
  }
  // Keep draining stderr so the child never blocks on a full pipe.
  const drained = (async () => {
    while (true) {
      const r = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (r.done) return;
      text += r.value;
    }
  })();
  let status: Promise<Deno.CommandStatus> | undefined;
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (!status) {
      try {
        child.kill(signal);
      } catch { /* exited already */ }
      status = child.status;
    }
    const s = await status;
    await drained;
    return s;
  };
  return {
    port,
    child,
    stderr: () => text,
    stop,
    [Symbol.asyncDispose]: async () => void await stop("SIGKILL"),
  };
}
