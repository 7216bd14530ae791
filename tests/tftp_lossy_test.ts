// A UDP relay between netkit's TFTP client and server that drops,
// duplicates and reorders packets in both directions: files still arrive whole.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { encodePacket } from "../protocol/tftp/packet.ts";
import {
  getToMemory,
  loopbackUdp,
  pseudoRandomBytes,
  putFromMemory,
  startServer,
  tempDir,
} from "./tftp_helpers.ts";

/** How the relay misbehaves; each a probability per packet. */
interface Weather {
  drop: number;
  duplicate: number;
  reorder: number;
}

/** Counts of what the relay did, to prove the weather happened. */
interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/**
 * Relays one client to one TFTP server. The client talks to the relay's
 * port only; the relay follows the server to its transfer port.
 */
function startRelay(server: Deno.NetAddr, weather: Weather, seed: number) {
  const front = loopbackUdp();
  const back = loopbackUdp();
  let x = seed;
  const random = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
  const stats: RelayStats = {
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
  };
  let client: Deno.NetAddr | null = null;
  // Like a client, the relay locks onto the first server transfer ID; a
  // second one (the server answering a resent request) is told ERROR 5.
  let serverTid: Deno.NetAddr | null = null;

  // One packet held back per direction, released after the next one.
  const held = new Map<string, () => Promise<void>>();
  async function pass(
    dir: string,
    conn: Deno.DatagramConn,
    bytes: Uint8Array,
    to: Deno.NetAddr,
  ) {
    const send = async () => void (await conn.send(bytes, to));
    const r = random();
    const previous = held.get(dir);
    held.delete(dir);
    if (r < weather.drop) {
      stats.dropped++;
    } else if (r < weather.drop + weather.duplicate) {
      stats.duplicated++;
      await send();
      await send();
    } else if (r < weather.drop + weather.duplicate + weather.reorder) {
      stats.reordered++;
      held.set(dir, send);
    } else {
      stats.forwarded++;
      await send();
    }
    if (previous) await previous(); // the held packet now comes after this one
  }

  async function pump(
    from: Deno.DatagramConn,
    onPacket: (b: Uint8Array, a: Deno.NetAddr) => Promise<void>,
  ) {
    const buf = new Uint8Array(70000);
    for (;;) {
      try {
        const [b, a] = await from.receive(buf);
        await onPacket(b.slice(), a as Deno.NetAddr);
      } catch {
        return;
      }
    }
  }
  const loops = Promise.all([
    pump(front, async (b, a) => {
      client = a;
      const request = b[0] === 0 && (b[1] === 1 || b[1] === 2);
      await pass("up", back, b, request ? server : serverTid ?? server);
    }),
    pump(back, async (b, a) => {
      serverTid ??= a;
      if (a.port !== serverTid.port) {
        if (b[1] !== 5) await back.send(UNKNOWN_TID, a);
        return;
      }
      if (client) await pass("down", front, b, client);
    }),
  ]);
  return {
    port: (front.addr as Deno.NetAddr).port,
    stats,
    async [Symbol.asyncDispose]() {
      front.close();
      back.close();
      await loops;
    },
  };
}

const UNKNOWN_TID = encodePacket({
  op: "ERROR",
  code: 5,
  message: "unknown transfer ID",
});

const stormy: Weather = { drop: 0.08, duplicate: 0.08, reorder: 0.08 };
// Short timeouts keep the drops cheap; the retries give 3.3 s of patience,
// room for a busy machine's stalls.
const tuning = { timeoutMs: 60, retries: 15 };

for (const [blksize, windowsize] of [[512, 1], [1024, 8]]) {
  Deno.test(`tftp lossy: get through a relay that drops, duplicates, reorders (blksize ${blksize}, window ${windowsize})`, async () => {
    await using dir = await tempDir();
    const data = pseudoRandomBytes(blksize * windowsize * 60 + 17, blksize);
    await Deno.writeFile(`${dir.path}/f`, data);
    await using server = await startServer(dir.path, tuning);
    await using relay = startRelay(server.addr, stormy, 42 + windowsize);
    const got = await getToMemory("f", {
      hostname: "127.0.0.1",
      port: relay.port,
      blksize,
      windowsize,
      ...tuning,
    });
    assertSameBytes(got.data, data);
    const s = relay.stats;
    assert.ok(
      s.dropped > 5 && s.duplicated > 5 && s.reordered > 5,
      JSON.stringify(s),
    );
  });

  Deno.test(`tftp lossy: put through a relay that drops, duplicates, reorders (blksize ${blksize}, window ${windowsize})`, async () => {
    await using dir = await tempDir();
    const data = pseudoRandomBytes(blksize * windowsize * 60 + 17, blksize + 1);
    await using server = await startServer(dir.path, {
      ...tuning,
      allowWrite: true,
    });
    await using relay = startRelay(server.addr, stormy, 7 + windowsize);
    await putFromMemory("up", data, {
      hostname: "127.0.0.1",
      port: relay.port,
      blksize,
      windowsize,
      ...tuning,
    });
    // The server commits before its final ACK, so the file is complete now.
    assertSameBytes(await Deno.readFile(`${dir.path}/up`), data);
    const s = relay.stats;
    assert.ok(
      s.dropped > 5 && s.duplicated > 5 && s.reordered > 5,
      JSON.stringify(s),
    );
  });
}
