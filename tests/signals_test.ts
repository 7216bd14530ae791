import assert from "node:assert/strict";
import { onShutdownSignal, shutdownSignals } from "../core/cli/signals.ts";

Deno.test("signals: SIGINT and SIGTERM stop a server; Windows has only SIGINT (Ctrl+C)", () => {
  assert.deepEqual(shutdownSignals("linux"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(shutdownSignals("darwin"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(shutdownSignals("windows"), ["SIGINT"]);
  // Registering every signal of this platform must not throw (SIGTERM does on Windows).
  let calls = 0;
  const stop = onShutdownSignal(() => calls++);
  stop[Symbol.dispose]();
  stop[Symbol.dispose](); // twice is harmless
  assert.equal(calls, 0);
});

/** A child process running `body` with `onShutdownSignal` imported; its stdout read as it comes. */
function spawnScript(body: string) {
  const module = new URL("../core/cli/signals.ts", import.meta.url).href;
  const script = `
    import { onShutdownSignal } from "${module}";
    const { promise, resolve } = Promise.withResolvers();
    const timer = setTimeout(() => Deno.exit(3), 60_000); // keeps the loop alive; a bound for a hang only
    ${body}
    console.log("ready");
    await promise;
    clearTimeout(timer);
    console.log("stopped");`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    child,
    /** Reads until the output holds `line`, or to its end. */
    async until(line: string): Promise<void> {
      while (!text.includes(line)) {
        const r = await lines.read();
        if (r.done) break;
        text += r.value;
      }
    },
    /** Reads to the end; resolves to the exit code and all the output. */
    async end(): Promise<{ code: number; text: string }> {
      for (let r = await lines.read(); !r.done; r = await lines.read()) text += r.value;
      return { code: (await child.status).code, text };
    },
  };
}

const noSignals = "skipped on Windows: no signal can be sent to a child there";

Deno.test({
  name:
    `signals: a process using onShutdownSignal stops cleanly on a real SIGTERM and SIGINT (${noSignals})`,
  ignore: Deno.build.os === "windows",
  fn: async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const p = spawnScript("using _stop = onShutdownSignal(resolve);");
      await p.until("ready\n");
      p.child.kill(signal);
      const { code, text } = await p.end();
      assert.equal(code, 0, `${signal}: ${text}`);
      assert.equal(text, "ready\nstopped\n");
    }
  },
});

Deno.test({
  name:
    `signals: the handler is told how many stop signals came, so a second can force the stop (${noSignals})`,
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const p = spawnScript(`using _stop = onShutdownSignal((count) => {
      console.log("signal " + count);
      if (count === 2) resolve();
    });`);
    await p.until("ready\n");
    p.child.kill("SIGINT");
    await p.until("signal 1\n");
    p.child.kill("SIGTERM");
    const { code, text } = await p.end();
    assert.equal(code, 0, text);
    assert.equal(text, "ready\nsignal 1\nsignal 2\nstopped\n");
  },
});
