/**
 * The house rules, read off the module graph (`deno info --json`) of the
 * program and its Worker modules, and off the source of each module:
 *
 * - `protocol/` is pure: it imports nothing outside itself and calls no
 *   `Deno.*` API;
 * - `core/` is the ground floor: it imports no service and no wire format;
 * - a service (`server/`, `client/`, `http/`, `tftp/`) never imports another;
 * - `main.ts` imports only each command's `cli.ts` (and `core/`);
 * - no module of a service that serves a library (`server/`, `http/`,
 *   `tftp/`) changes files through a file-system API: every change goes
 *   through the library's door in `core/`.
 */

import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { WORKER_MODULES } from "../scripts/worker_modules.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const SERVICES = ["server", "client", "http", "tftp", "share"];
const SERVING = ["server", "http", "tftp"];

interface Module {
  /** Path relative to the project root, or the specifier of a non-file module. */
  path: string;
  /** What it imports: project paths, or `node:`/`npm:` specifiers. */
  imports: string[];
}

function local(specifier: string): string {
  return specifier.startsWith("file://") ? relative(ROOT, fromFileUrl(specifier)) : specifier;
}

/** The modules of the program and every Worker it starts, with their imports. */
async function graph(): Promise<Map<string, Module>> {
  const modules = new Map<string, Module>();
  for (const entry of ["main.ts", ...WORKER_MODULES]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    const redirects: Record<string, string> = info.redirects ?? {};
    for (const m of info.modules as { specifier: string; dependencies?: unknown[] }[]) {
      const path = local(m.specifier);
      const deps = (m.dependencies ?? []) as {
        code?: { specifier: string };
        type?: { specifier: string };
      }[];
      const imports = deps.flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter((s): s is string => s !== undefined)
        .map((s) => local(redirects[s] ?? s));
      modules.set(path, { path, imports: [...new Set(imports)] });
    }
  }
  return modules;
}

const folderOf = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : "";

/** Source without comments, so a rule is broken only by code. */
function code(path: string): string {
  return Deno.readTextFileSync(`${ROOT}/${path}`)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const FS_CHANGES =
  /Deno\.(writeFile|writeTextFile|remove|rename|link|symlink|mkdir|create|truncate|copyFile|chmod|chown|utime|makeTempDir|makeTempFile)(Sync)?\s*\(|Deno\.open(Sync)?\s*\([^)]*\b(write|create|createNew|append|truncate)\s*:/;

const modules = await graph();
const project = [...modules.values()].filter((m) =>
  m.path.endsWith(".ts") && !m.path.startsWith(".")
);

Deno.test("architecture: the graph holds every folder of the house", () => {
  for (const folder of ["core", "protocol", ...SERVICES]) {
    assert.ok(project.some((m) => folderOf(m.path) === folder), `no module of ${folder}/`);
  }
});

Deno.test("architecture: protocol/ imports nothing outside itself and calls no Deno API", () => {
  for (const m of project.filter((m) => folderOf(m.path) === "protocol")) {
    for (const i of m.imports) {
      assert.ok(folderOf(i) === "protocol", `${m.path} imports ${i}`);
    }
    assert.ok(!/\bDeno\./.test(code(m.path)), `${m.path} calls a Deno API`);
  }
});

Deno.test("architecture: core/ imports no service and no wire format", () => {
  for (const m of project.filter((m) => folderOf(m.path) === "core")) {
    for (const i of m.imports) {
      const f = folderOf(i);
      assert.ok(!SERVICES.includes(f) && f !== "protocol", `${m.path} imports ${i}`);
    }
  }
});

Deno.test("architecture: a service never imports another service", () => {
  for (const m of project.filter((m) => SERVICES.includes(folderOf(m.path)))) {
    for (const i of m.imports) {
      const f = folderOf(i);
      assert.ok(!SERVICES.includes(f) || f === folderOf(m.path), `${m.path} imports ${i}`);
    }
  }
});

Deno.test("architecture: main.ts only dispatches to each command's cli.ts", () => {
  const main = modules.get("main.ts")!;
  for (const i of main.imports) {
    const ok = i === "deno.json" || folderOf(i) === "core" ||
      (SERVICES.includes(folderOf(i)) && i.endsWith("/cli.ts"));
    assert.ok(ok, `main.ts imports ${i}`);
  }
});

Deno.test("architecture: services change the library only through core/", () => {
  const offenders = project
    .filter((m) => SERVING.includes(folderOf(m.path)))
    .filter((m) => FS_CHANGES.test(code(m.path)))
    .map((m) => `${m.path}: ${code(m.path).match(FS_CHANGES)![0]}`);
  assert.deepEqual(offenders, []);
});

Deno.test("architecture: the file-system rule catches what it must", () => {
  for (
    const bad of [
      `await Deno.remove(path);`,
      `Deno.renameSync(a, b)`,
      `Deno.open(p, { read: true, write: true })`,
      `Deno.open(p, { createNew: true })`,
      `await Deno.mkdir(dir)`,
    ]
  ) assert.ok(FS_CHANGES.test(bad), bad);
  for (const ok of [`Deno.open(p, { read: true })`, `Deno.stat(p)`, `Deno.readDir(d)`]) {
    assert.ok(!FS_CHANGES.test(ok), ok);
  }
});
