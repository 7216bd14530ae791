// The prompt as a person uses it (issue 17, item 8): the real program in a
// tmux terminal, against a real serve-files process whose idle timeout
// drops the connection, and a real Ctrl-C (SIGINT from the terminal) in the
// middle of a download that has stalled.

import assert from "node:assert/strict";
import { netkitArgs, startNetkitServer } from "./cli_helpers.ts";
import { bytes, tempDir } from "./file_helpers.ts";
import { startProxy } from "./tcp_proxy.ts";

const tmux = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((r) => r.success, () => false);

/** Runs `tmux -L socket ARGS`; resolves to its stdout. */
async function tmuxRun(socket: string, ...args: string[]): Promise<string> {
  const r = await new Deno.Command("tmux", { args: ["-L", socket, ...args], stderr: "piped" })
    .output();
  if (!r.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout);
}

/**
 * A program in a tmux terminal of its own (a private tmux server), with
 * everything it writes copied to a log that the test watches for text.
 */
async function terminal(command: string[], dir: string) {
  const socket = `netkit-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const log = `${dir}/terminal.log`;
  const script = `${dir}/run.sh`;
  await Deno.writeTextFile(log, "");
  // The program starts only once the log is being written ("go" typed), and
  // says when it has ended, so a wait for text it will never write ends too.
  const quoted = command.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  await Deno.writeTextFile(script, `#!/bin/sh\nread go\n${quoted}\necho "[exited $?]"\nread end\n`);
  await Deno.chmod(script, 0o755);
  await tmuxRun(socket, "new-session", "-d", "-x", "100", "-y", "30", "-e", "NO_COLOR=1", script);
  const pid = Number((await tmuxRun(socket, "display-message", "-p", "#{pid}")).trim());
  await tmuxRun(socket, "pipe-pane", "-o", `cat >> '${log}'`);
  const watcher = Deno.watchFs(log);
  const events = watcher[Symbol.asyncIterator]();
  let seen = 0;
  const term = {
    /**
     * Resolves to the text written from now on up to the first match of
     * `pattern`; fails as soon as the program has ended instead.
     */
    async until(pattern: RegExp): Promise<string> {
      for (let i = 0; i < 100_000; i++) {
        const text = (await Deno.readTextFile(log)).replaceAll("\r", "").slice(seen);
        const m = pattern.exec(text);
        if (m) {
          seen += m.index + m[0].length;
          return text.slice(0, m.index + m[0].length);
        }
        if (/\[exited \d+\]/.test(text)) throw new Error(`the program ended:\n${text}`);
        if ((await events.next()).done) break;
      }
      throw new Error(`never saw ${pattern}:\n${await Deno.readTextFile(log)}`);
    },
    /** Types a command and resolves to what it printed, once the prompt is back. */
    async command(line: string): Promise<string> {
      await term.line(line);
      return await term.until(/netkit> $/);
    },
    keys: (...keys: string[]) => tmuxRun(socket, "send-keys", ...keys),
    line: (text: string) => tmuxRun(socket, "send-keys", "-l", text).then(() => term.keys("Enter")),
    [Symbol.asyncDispose]() {
      watcher.close();
      try {
        Deno.kill(pid, "SIGTERM"); // the private tmux server, by its PID
      } catch { /* gone already */ }
      return Promise.resolve();
    },
  };
  await term.line("go");
  return term;
}

Deno.test({
  name: `prompt in tmux: reconnects after the idle timeout; Ctrl-C cancels a stalled download${
    tmux ? "" : " (skipped: tmux is not installed)"
  }`,
  ignore: !tmux,
  sanitizeResources: false, // the file watcher's resource outlives a failed run only
  async fn() {
    await using lib = await tempDir({ "big.bin": bytes(4 << 20, 2), "a.txt": "alpha" });
    await using local = await tempDir();
    await using server = await startNetkitServer([
      "serve-files",
      "--root",
      lib.path,
      "--port",
      "0",
      "--idle-timeout",
      "500ms",
    ]);
    await using proxy = startProxy(server.port);
    await using term = await terminal(
      [Deno.execPath(), ...netkitArgs(["client", `127.0.0.1:${proxy.port}`])],
      local.path,
    );
    assert.match(await term.until(/netkit> $/), /Connected to .*\n.*1\) list/);
    assert.match(await term.command("ls"), /a\.txt[\s\S]*big\.bin/);

    await proxy.serverClosedAll(); // idle past --idle-timeout: the server dropped it
    const again = await term.command("ls");
    assert.match(again, /a\.txt[\s\S]*big\.bin/);
    assert.doesNotMatch(again, /error/);

    proxy.hold(); // the download stalls: the server's bytes never arrive
    const asked = proxy.sent("big.bin");
    await term.line(`get big.bin ${local.join("big.bin")}`);
    await asked;
    await term.keys("C-c");
    assert.match(await term.until(/netkit> $/), /cancelled\n/);
    assert.match(await term.command("ls"), /a\.txt/);
    await term.line("quit");
    await term.until(/bye\n/);

    const all = await Deno.readTextFile(local.join("terminal.log"));
    assert.doesNotMatch(all, /error:/);
    assert.doesNotMatch(all, /netkit: /); // the program never ended with an error
  },
});
