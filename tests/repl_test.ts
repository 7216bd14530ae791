// The prompt keeps its connection working and Ctrl-C cancels, not quits
// (issue 17, items 8 and 13): driven in-process through its input, output
// and interrupt hooks, over real sockets to a real server, through a proxy
// that can stall or cut the connection.

import assert from "node:assert/strict";
import { runRepl } from "../client/repl.ts";
import { FileClient } from "../client/client.ts";
import { bytes, namesIn, serve, tempDir, untilConnections } from "./file_helpers.ts";
import type { FileServer } from "../server/file_server.ts";
import { startProxy } from "./tcp_proxy.ts";

/** A prompt run in-process: type lines, read what it wrote, press Ctrl-C. */
async function startPrompt(port: number) {
  let output = "";
  let waiters: { pattern: RegExp; from: number; resolve: () => void }[] = [];
  let interrupt: () => void = () => {
    throw new Error("no interrupt handler");
  };
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
  const check = () => {
    waiters = waiters.filter((w) => !(w.pattern.test(output.slice(w.from)) && (w.resolve(), true)));
  };
  const done = runRepl({
    connect: (signal) => FileClient.connect({ port, signal, timeoutMs: 20_000 }),
    address: `127.0.0.1:${port}`,
    input,
    progress: false,
    write: (t) => {
      output += t;
      check();
    },
    interrupts: (h) => {
      interrupt = h;
      return { [Symbol.dispose]: () => {} };
    },
  });
  const prompt = {
    get output() {
      return output;
    },
    /** Resolves once the output written from now on matches `pattern`. */
    next(pattern: RegExp, from = output.length): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ pattern, from, resolve });
        check();
      });
    },
    type(line: string) {
      feed.enqueue(new TextEncoder().encode(line + "\n"));
    },
    interrupt: () => interrupt(),
    async quit() {
      prompt.type("quit");
      feed.close();
      assert.equal(await done, 0);
    },
  };
  await prompt.next(/netkit> $/, 0);
  return prompt;
}

/** Types `line` and waits for the prompt to come back; returns what the command printed. */
async function command(p: Awaited<ReturnType<typeof startPrompt>>, line: string): Promise<string> {
  const from = p.output.length;
  const back = p.next(/netkit> $/, from);
  p.type(line);
  await back;
  return p.output.slice(from);
}

Deno.test("prompt: a connection the server dropped for idleness is replaced without a word", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path, { idleTimeoutMs: 150 });
  const p = await startPrompt(server.addr.port);
  assert.match(await command(p, "ls"), /a\.txt/);
  await untilConnections(server, 0); // the server dropped the idle connection
  const again = await command(p, "ls");
  assert.match(again, /a\.txt/);
  assert.doesNotMatch(again, /error|reconnect|Connected/);
  await p.quit();
});

Deno.test("prompt: a command whose connection was cut is run again on a fresh one", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path);
  await using proxy = startProxy(server.addr.port);
  const p = await startPrompt(proxy.port);
  assert.match(await command(p, "ls"), /a\.txt/);
  proxy.cutAll(); // the server restarted, say
  await untilConnections(server, 0);
  const again = await command(p, "ls");
  assert.match(again, /a\.txt/);
  assert.doesNotMatch(again, /error/);
  assert.equal(proxy.accepted, 2);
  await p.quit();
});

async function stalledDownload(server: FileServer, dest: string) {
  const proxy = startProxy(server.addr.port);
  const p = await startPrompt(proxy.port);
  proxy.hold(); // from now on the server's bytes never arrive
  const asked = proxy.sent("big.bin");
  const from = p.output.length;
  p.type(`get big.bin ${dest}`);
  await asked; // the GET went out: the transfer is under way
  return { proxy, p, from };
}

Deno.test("prompt: Ctrl-C cancels a transfer and returns to the prompt, which goes on", async () => {
  await using lib = await tempDir({ "big.bin": bytes(4 << 20, 1), "a.txt": "a" });
  await using local = await tempDir();
  await using server = await serve(lib.path);
  const { proxy, p, from } = await stalledDownload(server, local.path);
  await using _proxy = proxy;
  const back = p.next(/cancelled\nnetkit> $/, from);
  p.interrupt();
  await back;
  // Nothing under the name (and, as no byte had come, no part file either).
  assert.deepEqual(await namesIn(local.path), []);
  assert.match(await command(p, "ls"), /a\.txt/);
  await p.quit();
  assert.match(p.output, /bye\n$/);
});

Deno.test("prompt: Ctrl-C at a question cancels the command; the next line is a command again", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path);
  const p = await startPrompt(server.addr.port);
  const asked = p.next(/Save as \[a\.txt\]: $/);
  p.type("2");
  await p.next(/Download which file/);
  p.type("1");
  await asked;
  const back = p.next(/cancelled\nnetkit> $/);
  p.interrupt();
  await back;
  assert.match(await command(p, "ls"), /a\.txt/);
  // Ctrl-C at the prompt itself only gives a fresh prompt.
  const fresh = p.next(/\nnetkit> $/);
  p.interrupt();
  await fresh;
  await p.quit();
});

Deno.test("prompt: a name that is not there is refused before asking where to save it", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path);
  const p = await startPrompt(server.addr.port);
  p.type("2");
  await p.next(/Download which file/);
  const out = await command(p, "nope.txt");
  assert.match(out, /error: nope\.txt: not found \[NOT_FOUND\]/);
  assert.doesNotMatch(out, /Save as/);
  await p.quit();
});

Deno.test("prompt: every line of the menu fits 80 columns", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  const p = await startPrompt(server.addr.port);
  await p.quit();
  for (const line of p.output.split("\n")) assert.ok(line.length < 80, `${line.length}: ${line}`);
});
