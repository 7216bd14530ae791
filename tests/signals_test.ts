import assert from "node:assert/strict";
import { onShutdownSignal, shutdownSignals } from "../core/signals.ts";

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

Deno.test({
  name: "signals: a process using onShutdownSignal stops cleanly on a real SIGTERM and SIGINT " +
    "(skipped on Windows: no signal can be sent to a child there)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const module = new URL("../core/signals.ts", import.meta.url).href;
    const script = `
      import { onShutdownSignal } from "${module}";
      const { promise, resolve } = Promise.withResolvers();
      const timer = setTimeout(() => Deno.exit(3), 10_000); // keeps the loop alive, bounds the test
      using _stop = onShutdownSignal(resolve);
      console.log("ready");
      await promise;
      clearTimeout(timer);
      console.log("stopped");`;
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        stdout: "piped",
        stderr: "inherit",
        stdin: "null",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("ready\n")) {
        const r = await lines.read();
        if (r.done) break;
        text += r.value;
      }
      child.kill(signal);
      for (let r = await lines.read(); !r.done; r = await lines.read()) text += r.value;
      const status = await child.status;
      assert.equal(status.code, 0, `${signal}: ${text}`);
      assert.equal(text, "ready\nstopped\n");
    }
  },
});
