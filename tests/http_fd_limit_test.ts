// One host holding every file descriptor of `netkit http` (issue 17, item
// 3): Deno.serve stops accepting for good when an accept fails; the server
// must close the idle connections that hold the descriptors and take the
// port again, rather than exit or stay deaf.

import assert from "node:assert/strict";
import { netkitArgs } from "./cli_helpers.ts";
import { tempDir } from "./temp_dir.ts";

/** Reads a child's stderr line by line, waiting for a line that matches. */
function lines(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    get text() {
      return text;
    },
    async waitFor(re: RegExp): Promise<RegExpExecArray> {
      for (let i = 0; i < 10_000; i++) {
        const m = re.exec(text);
        if (m) {
          text = text.slice(m.index + m[0].length);
          return m;
        }
        const r = await reader.read();
        if (r.done) throw new Error(`stderr ended before ${re}:\n${text}`);
        text += r.value;
      }
      throw new Error(`no ${re} in stderr`);
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

Deno.test({
  name: "http: out of file descriptors, the server closes idle connections and listens again" +
    (Deno.build.os === "windows" ? " (skipped: needs ulimit)" : ""),
  ignore: Deno.build.os === "windows",
  async fn() {
    await using dir = await tempDir("fd-");
    await Deno.writeTextFile(dir.join("a.txt"), "a");
    const child = new Deno.Command("bash", {
      args: [
        "-c",
        'ulimit -n 200; exec "$0" "$@"',
        Deno.execPath(),
        ...netkitArgs(["http", "--root", dir.path, "--port", "0", "--quiet"]),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const err = lines(child.stderr);
    const flood: Deno.Conn[] = [];
    try {
      const port = Number((await err.waitFor(/ on 127\.0\.0\.1:(\d+)/))[1]);
      // Connections until the server has none left to accept with.
      for (let i = 0; i < 400; i++) {
        try {
          flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch {
          break;
        }
      }
      await err.waitFor(/accepting failed .*: idle and unfinished connections closed/);
      // The flood's sockets are closed by the server (read ends), not by us.
      for (const c of flood.splice(0)) {
        await c.read(new Uint8Array(16)).catch(() => null);
        c.close();
      }
      await err.waitFor(/listening again on 127\.0\.0\.1/);
      const res = await fetch(`http://127.0.0.1:${port}/a.txt`);
      assert.deepEqual([res.status, await res.text()], [200, "a"]);
    } finally {
      for (const c of flood) c.close();
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await err.cancel();
    }
  },
});
