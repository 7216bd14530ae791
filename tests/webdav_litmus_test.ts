// litmus, the WebDAV conformance suite (Debian `litmus`), against a real
// netkit server: every test of basic, copymove, props, locks and http must
// pass, with no warning.

import assert from "node:assert/strict";
import { runLitmus, SUITES } from "../scripts/litmus.ts";
import { which } from "../scripts/dav_peers.ts";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";

const litmus = which("litmus");
if (litmus === null) console.log("litmus is not installed (apt-get install litmus): skipped");

Deno.test({
  name: "litmus: basic, copymove, props, locks and http all pass with no warning",
  ignore: litmus === null,
  async fn() {
    await using dir = await tempDir("litmus-");
    await using server = await serve({
      root: dir.path,
      webdav: true,
      upload: true,
      mkdir: true,
      delete: true,
      auth: "litmus:secret",
    });
    const r = await runLitmus(server.url, ["litmus", "secret"]);
    assert.deepEqual(r.suites.map((s) => s.name), SUITES, r.output);
    for (const s of r.suites) assert.equal(s.failed, 0, `${s.name}: ${r.failures.join("; ")}`);
    assert.equal(r.suites.reduce((a, s) => a + s.passed, 0), 104);
    assert.deepEqual(r.warnings, []);
  },
});
