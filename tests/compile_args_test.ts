import assert from "node:assert/strict";
import {
  compileArgs,
  isTarget,
  outputName,
  PERMISSIONS,
  planBuilds,
  TARGETS,
  UNSTABLE,
  V8_FLAGS,
} from "../scripts/compile.ts";
import { WORKER_MODULES } from "../scripts/worker_modules.ts";

Deno.test("compile args: every target deno compile supports, each named once", () => {
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  for (const t of TARGETS) assert.ok(isTarget(t));
  for (
    const t of ["", "x86_64", "x86_64-unknown-linux-musl", "X86_64-UNKNOWN-LINUX-GNU", "linux"]
  ) {
    assert.ok(!isTarget(t), t);
  }
});

Deno.test("compile args: release names are netkit-<target>, with .exe only for Windows", () => {
  assert.deepEqual(TARGETS.map(outputName), [
    "netkit-x86_64-unknown-linux-gnu",
    "netkit-aarch64-unknown-linux-gnu",
    "netkit-x86_64-apple-darwin",
    "netkit-aarch64-apple-darwin",
    "netkit-x86_64-pc-windows-msvc.exe",
  ]);
  for (const t of TARGETS) assert.match(outputName(t), /^[a-z0-9_.-]+$/, "portable file name");
});

Deno.test("compile args: narrow permissions baked in, no run/ffi/all, unstable flags, every Worker", () => {
  const args = compileArgs("out/netkit", "aarch64-apple-darwin");
  assert.equal(args[0], "compile");
  assert.equal(args.at(-1), "main.ts");
  for (const f of [...UNSTABLE, ...V8_FLAGS, ...PERMISSIONS]) assert.ok(args.includes(f), f);
  assert.deepEqual([...PERMISSIONS].sort(), [
    "--allow-env=NETKIT_TOKEN,NETKIT_PASSWORD,NO_COLOR",
    "--allow-net",
    "--allow-read",
    "--allow-sys=hostname",
    "--allow-write",
  ]);
  for (const a of args) {
    assert.doesNotMatch(a, /^(-A|--allow-all|--allow-run|--allow-ffi|--allow-import)/, a);
    assert.ok(a !== "--allow-env" && a !== "--allow-sys", `${a} must name what it allows`);
  }
  const includes = args.flatMap((a, i) => a === "--include" ? [args[i + 1]] : []);
  assert.deepEqual(includes, [...WORKER_MODULES]);
  assert.deepEqual(args.slice(args.indexOf("--target"), args.indexOf("--target") + 2), [
    "--target",
    "aarch64-apple-darwin",
  ]);
  assert.deepEqual(args.slice(args.indexOf("--output"), args.indexOf("--output") + 2), [
    "--output",
    "out/netkit",
  ]);
  assert.ok(!compileArgs("x").includes("--target"), "the host's build names no target");
});

Deno.test("compile args: the default is the host's dist/netkit; --all is every target", () => {
  assert.deepEqual(planBuilds({}), [{ output: "dist/netkit" }]);
  assert.deepEqual(planBuilds({ output: "/tmp/nk" }), [{ output: "/tmp/nk" }]);
  assert.deepEqual(
    planBuilds({ all: true }),
    TARGETS.map((target) => ({ output: `dist/${outputName(target)}`, target })),
  );
  assert.deepEqual(planBuilds({ all: true, dir: "out" })[4], {
    output: "out/netkit-x86_64-pc-windows-msvc.exe",
    target: "x86_64-pc-windows-msvc",
  });
});

Deno.test("compile args: named targets, deduplicated; --output for exactly one build", () => {
  assert.deepEqual(
    planBuilds({
      targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc", "aarch64-apple-darwin"],
    }),
    [
      { output: "dist/netkit-aarch64-apple-darwin", target: "aarch64-apple-darwin" },
      { output: "dist/netkit-x86_64-pc-windows-msvc.exe", target: "x86_64-pc-windows-msvc" },
    ],
  );
  assert.deepEqual(planBuilds({ targets: ["x86_64-apple-darwin"], output: "mac" }), [
    { output: "mac", target: "x86_64-apple-darwin" },
  ]);
});

Deno.test("compile args: unknown targets and contradictory flags are refused with a reason", () => {
  const cases: [Parameters<typeof planBuilds>[0], RegExp][] = [
    [{ targets: ["x86_64-unknown-linux-musl"] }, /unknown target 'x86_64-unknown-linux-musl'/],
    [{ targets: ["../../etc/passwd"] }, /unknown target/],
    [{ targets: [""] }, /unknown target ''/],
    [{ all: true, targets: ["aarch64-apple-darwin"] }, /--all and --target/],
    [{ all: true, output: "x" }, /--output names one build/],
    [{ targets: ["aarch64-apple-darwin", "x86_64-apple-darwin"], output: "x" }, /--output/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => planBuilds(options),
      (e) => e instanceof RangeError && message.test(e.message),
    );
  }
});
