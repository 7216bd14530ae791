// receiveData over a real frame stream: two buffers whenever more than one
// DATA frame can come, so a write still in flight never sees its bytes
// overwritten by the next frame.
import assert from "node:assert/strict";
import { createHasher } from "../core/hash/hash.ts";
import { encodeFrame, FrameType } from "../protocol/file/frame.ts";
import { FrameReader } from "../protocol/file/frame_stream.ts";
import { encodeMessage } from "../protocol/file/messages.ts";
import { receiveData } from "../protocol/file/data_path.ts";
import { concat } from "./protocol_samples.ts";
import { memorySource, pseudoRandomBytes } from "./tftp_helpers.ts";

// 100,000 is no buffer-pool class: its buffer holds 112 KiB, more than the
// whole 110,000-byte transfer, which still comes in two frames.
for (const maxFrame of [100_000, 65_536]) {
  Deno.test(`receiveData: a slow writer gets every frame's own bytes (maxFrame ${maxFrame})`, async () => {
    const data = pseudoRandomBytes(110_000, 3);
    const frames: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += maxFrame) {
      frames.push(encodeFrame(FrameType.DATA, data.subarray(at, at + maxFrame)));
    }
    const h = await createHasher("sha256");
    h.update(data);
    frames.push(encodeMessage({ type: "END", digest: h.digest() }));
    const wire = concat(frames);

    const written: Uint8Array[] = [];
    const out = {
      // Reads its bytes only after the next frame had time to arrive, as an
      // asynchronous file write does.
      async write(bytes: Uint8Array) {
        await new Promise((r) => setTimeout(r, 5));
        written.push(bytes.slice());
      },
    };
    const result = await receiveData(
      new FrameReader(memorySource(wire, 16 * 1024)),
      data.length,
      out,
      {
        maxFrame,
        hasher: await createHasher("sha256"),
      },
    );
    assert.ok(result.ok);
    const got = concat(written);
    assert.equal(written.length, 2);
    const firstWrong = got.findIndex((b, i) => b !== data[i]);
    assert.equal(firstWrong, -1, `byte ${firstWrong} was overwritten by the next frame`);
  });
}
