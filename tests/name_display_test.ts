// Names that pretend to be others (issue 17, item 4): leading and trailing
// spaces, bidi controls (U+202E makes `txt.exe` read `exe.txt`) and other
// characters that do not show are escaped wherever a name is shown (`netkit
// client ls` and its reports, the HTTP listing page, the logs of the three
// servers), and no new name may hold a bidi control.

import assert from "node:assert/strict";
import { isHidden, printableName, printableText, quoteName } from "../core/text/printable.ts";
import { checkNewSegment } from "../core/library/jail.ts";
import { escapeField, jsonLine, noticeLine } from "../core/ops/log_format.ts";
import { TftpPeerError } from "../protocol/tftp/errors.ts";
import { renderHtml } from "../http/listing.ts";
import { renderPage } from "../http/listing_page.ts";
import { tempDir } from "./temp_dir.ts";
import { connect, serve as serveFiles } from "./file_helpers.ts";
import { runNetkit } from "./cli_helpers.ts";
import { serve as serveHttp } from "./http_helpers.ts";
import { memorySink, memorySource, startServer as startTftp } from "./tftp_helpers.ts";
import { tftpGet, tftpPut } from "../tftp/client.ts";
import { Library } from "../core/library/library.ts";
import { Prng } from "./prng.ts";

const RLO = "\u202e";
/** Shows as `exe.txt`; is `txt.exe`. */
const SPOOF = `${RLO}txt.exe`;

Deno.test("printableName: what does not show is escaped, plain names and emoji are not", () => {
  const table: [string, string][] = [
    ["notes.txt", "notes.txt"],
    ["a b.txt", "a b.txt"],
    [SPOOF, "\\u{202e}txt.exe"],
    [" a.txt", "\\x20a.txt"],
    ["a.txt  ", "a.txt\\x20\\x20"],
    ["a\u00a0b", "a\\xa0b"], // no-break space
    ["a\u200bb", "a\\u{200b}b"], // zero-width space
    ["a\u00adb", "a\\xadb"], // soft hyphen
    ["\ufeffa", "\\u{feff}a"], // BOM
    ["a\u2066b\u2069", "a\\u{2066}b\\u{2069}"], // isolates
    ["a\u200eb", "a\\u{200e}b"], // LRM
    ["a\u3164b", "a\\u{3164}b"], // Hangul filler
    ["a\u2028b", "a\\u{2028}b"],
    ["a\\x20", "a\\\\x20"], // a real backslash cannot pass for an escape
    ["a\x1b[31mb", "a\\x1b[31mb"],
    ["\ud800x", "\\u{d800}x"],
    ["日本語.txt", "日本語.txt"],
    ["👨\u200d👩\u200d👧.png", "👨\u200d👩\u200d👧.png"],
    ["❤\ufe0f.txt", "❤\ufe0f.txt"],
    ["a\u200d.txt", "a\\u{200d}.txt"], // a joiner outside an emoji
    ["x\ufe0f", "x\\u{fe0f}"],
  ];
  for (const [name, shown] of table) assert.equal(printableName(name), shown, JSON.stringify(name));
  assert.equal(printableText(`${SPOOF}: not found`), "\\u{202e}txt.exe: not found");
  assert.equal(printableText("a\\b  "), "a\\b  ");
});

Deno.test("printableName: seeded fuzz, distinct names stay distinct and nothing hidden is left", () => {
  const seed = Number(Deno.env.get("NETKIT_FUZZ_SEED") ?? 17);
  const rng = new Prng(seed);
  const alphabet = [
    "a",
    " ",
    "\\",
    "x",
    "2",
    "0",
    "{",
    "}",
    "u",
    RLO,
    "\u200b",
    "\u200d",
    "\ufe0f",
    "👩",
    "\u00a0",
    "\x1b",
    "\n",
    "\ud800",
    "é",
  ];
  const seen = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    let name = "";
    const n = 1 + rng.int(8);
    for (let k = 0; k < n; k++) name += rng.pick(alphabet);
    const shown = printableName(name);
    const where = `seed ${seed}, case ${i}: ${JSON.stringify(name)} -> ${JSON.stringify(shown)}`;
    const other = seen.get(shown);
    assert.ok(
      other === undefined || other === name,
      `${where} also shows ${JSON.stringify(other)}`,
    );
    seen.set(shown, name);
    assert.ok(!shown.startsWith(" ") && !shown.endsWith(" "), where);
    const left = [...shown].filter((c, at, all) =>
      isHidden(c) && !(c === "\u200d" || c === "\ufe0f") || (c === "\u200d" && all[at + 1] !== "👩")
    );
    assert.deepEqual(left, [], where);
    assert.equal(JSON.parse(quoteName(name)), name, where);
    assert.ok(![...quoteName(name)].some(isHidden), where);
  }
});

Deno.test("logs: the access log escapes characters that do not show as UTF-8 bytes", () => {
  assert.equal(escapeField(`/${SPOOF}`), "/\\xe2\\x80\\xaetxt.exe");
  assert.equal(escapeField("/日本"), "/日本");
  assert.equal(quoteName(SPOOF), '"\\u202etxt.exe"');
  // The JSON log writes them as \uHHHH, as quoteName does, and parses back exactly.
  const path = `/${SPOOF}\u200b`;
  const line = jsonLine({
    time: 0,
    service: "http",
    peer: "127.0.0.1",
    user: null,
    request: "GET",
    path,
    bytes: 0,
    ms: 1,
  });
  assert.ok(line.includes(`"path":"/\\u202etxt.exe\\u200b"`), line);
  assert.ok(![...line].some(isHidden), line);
  assert.equal(JSON.parse(line).path, path);
  const notice = noticeLine("json", "tftp", `no ${SPOOF}`);
  assert.ok(![...notice].some(isHidden), notice);
  assert.equal(JSON.parse(notice).message, `no ${SPOOF}`);
  // A TFTP peer's error message is printed with such characters blanked.
  assert.equal(new TftpPeerError(1, `no ${SPOOF}\u200b`).message, "peer error 1: no  txt.exe");
});

Deno.test("listings: both HTML renderers mark escapes and never print a bidi control raw", () => {
  const entries = [SPOOF, " lead.txt", "trail.txt "].map((name) => ({
    name,
    dir: false,
    size: 1,
    mtimeMs: 0,
  }));
  const page = renderPage(`/${RLO}dir/`, entries, {
    search: "",
    upload: false,
    auth: { basic: false, token: false },
    archives: false,
  });
  for (const html of [page, renderHtml(`/${RLO}dir/`, entries)]) {
    assert.ok(!html.includes(RLO), "a raw bidi control in the page");
    assert.ok(html.includes('<mark title="U+202E">\\u{202e}</mark>txt.exe'), html);
    assert.ok(html.includes('<mark title="U+0020">\\x20</mark>lead.txt'), html);
    assert.ok(html.includes('trail.txt<mark title="U+0020">\\x20</mark>'), html);
    assert.ok(html.includes(`href="./${encodeURIComponent(SPOOF)}"`), "the link keeps the name");
  }
});

/** A library holding the spoofing name and names with edge spaces. */
async function spoofLibrary() {
  const dir = await tempDir("spoof-");
  for (const n of [SPOOF, " lead.txt", "trail.txt "]) await Deno.writeTextFile(dir.join(n), "x");
  return dir;
}

Deno.test("client: ls, get's report and the server's log show such names escaped", async () => {
  await using lib = await spoofLibrary();
  await using local = await tempDir("spoof-local-");
  const lines: string[] = [];
  await using server = await serveFiles(lib.path, { log: (l) => lines.push(l) });
  const addr = `127.0.0.1:${server.addr.port}`;
  const ls = await runNetkit(["client", addr, "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.ok(!ls.stdout.includes(RLO), ls.stdout);
  for (const shown of ["\\x20lead.txt", "trail.txt\\x20", "\\u{202e}txt.exe"]) {
    assert.ok(ls.stdout.includes(`  ${shown}\n`), `${shown} in\n${ls.stdout}`);
  }
  const get = await runNetkit(["client", addr, "get", SPOOF, local.join("got")]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stderr, /^downloaded \\u\{202e\}txt\.exe -> /);
  const missing = await runNetkit(["client", addr, "get", `${RLO}nope`, local.join("nope")]);
  assert.equal(missing.stderr, "netkit: \\u{202e}nope: not found\n");
  await server.close(); // every session has ended, and logged
  assert.ok(lines.some((l) => l.includes('GET "\\xe2\\x80\\xaetxt.exe"')), lines.join("\n"));
  assert.ok(!lines.some((l) => l.includes(RLO)), "a raw bidi control in the log");
});

Deno.test("uploads: no service accepts a new name with a bidi control", async () => {
  await using lib = await tempDir("spoof-up-");
  await using local = await tempDir("spoof-up-local-");
  await Deno.writeTextFile(local.join("f"), "payload");
  // The file service.
  await using files = await serveFiles(lib.path);
  await using c = await connect(files);
  await assert.rejects(c.upload(local.join("f"), SPOOF), { code: "INVALID_NAME" });
  // HTTP PUT, and a folder with --mkdir.
  await using http = await serveHttp({ root: lib.path, upload: true, mkdir: true, token: "t" });
  const headers = { authorization: "Bearer t" };
  const put = await fetch(http.url + encodeURIComponent(SPOOF), {
    method: "PUT",
    body: "x",
    headers,
  });
  assert.equal(put.status, 400, await put.text());
  const mk = await fetch(http.url + encodeURIComponent(`d\u2067ir`), { method: "MKCOL", headers });
  assert.equal(mk.status, 400, await mk.text());
  // TFTP WRQ, with its log line escaped.
  const lines: string[] = [];
  await using tftp = await startTftp(lib.path, { allowWrite: true, log: (l) => lines.push(l) });
  const o = { hostname: "127.0.0.1", port: tftp.addr.port, timeoutMs: 500, retries: 2 };
  await assert.rejects(tftpPut(SPOOF, memorySource(new Uint8Array(3)), 3, o), {
    code: "FORBIDDEN",
  });
  await assert.rejects(tftpGet(`${RLO}gone`, memorySink(), o), { code: "NOT_FOUND" });
  await tftp.close(); // every transfer has ended, and logged
  assert.ok(lines.length >= 1 && !lines.some((l) => l.includes(RLO)), lines.join("\n"));
  assert.ok(lines.some((l) => l.includes('"\\xe2\\x80\\xaetxt.exe"')), lines.join("\n"));
  // Nothing was written; the library's door refuses it for every caller.
  assert.deepEqual([...Deno.readDirSync(lib.path)].map((e) => e.name), []);
  const door = await Library.open(lib.path);
  await assert.rejects(door.mkdir([`a${RLO}`]), { code: "INVALID_NAME" });
  await assert.rejects(door.beginUpload(["sub", `b${RLO}`], { mkdir: true }), {
    code: "INVALID_NAME",
  });
  await assert.rejects(door.beginUpload([`s${RLO}`, "b"], { mkdir: true }), {
    code: "INVALID_NAME",
  });
  assert.throws(() => checkNewSegment("a\u2069"), /U\+2069/);
  checkNewSegment("a\u200fb"); // RLM, used in right-to-left names, is only shown escaped
});
