// netkit http on a unix socket: nginx (Debian) proxies to it; the socket
// file's mode decides who may connect; a stale socket is replaced at start,
// a live one, or anything that is not a socket, is left alone.
import assert from "node:assert/strict";
import { runNetkit, startNetkitServer as start } from "./cli_helpers.ts";
import { freePort, installed, type Peer, startPeer } from "./ops_helpers.ts";
import { tempDir } from "./file_helpers.ts";
import { curl } from "./http_helpers.ts";

/** Starts `netkit http ... --socket` and waits for its serving line. */
const startNetkitServer = (args: string[]) => start(args, undefined, /serving .* on unix socket /);

const NGINX = "/usr/sbin/nginx";
const HAVE_NGINX = installed(NGINX);

/** Starts nginx in `dir` on 127.0.0.1:`port`, proxying everything to the unix socket `sock`. */
async function startNginx(dir: string, port: number, sock: string): Promise<Peer> {
  const conf = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 16m;
    location / {
      proxy_pass http://unix:${sock}:;
      proxy_set_header Host $host;
      proxy_http_version 1.1;
    }
  }
}
`,
  );
  return await startPeer(NGINX, ["-p", dir, "-c", conf], {
    // Ready once the port takes connections.
    ready: () =>
      Deno.connect({ hostname: "127.0.0.1", port }).then((c) => (c.close(), true), () => false),
    tries: 500,
    pauseMs: 20,
  });
}

Deno.test({
  name: HAVE_NGINX
    ? "socket: nginx proxies to netkit http --socket; the socket's mode decides who connects"
    : "socket: nginx proxies to netkit http --socket [SKIPPED: no nginx; apt-get install nginx]",
  ignore: !HAVE_NGINX,
  async fn() {
    await using dir = await tempDir();
    await Deno.chmod(dir.path, 0o755); // nginx's workers run as another user
    const root = dir.join("root");
    await Deno.mkdir(root);
    await Deno.writeTextFile(`${root}/hello.txt`, "hello through nginx\n");
    const sock = dir.join("netkit.sock");
    const port = freePort();
    await using _nginx = await startNginx(dir.path, port, sock);
    const base = `http://127.0.0.1:${port}`;
    {
      await using netkit = await startNetkitServer([
        "http",
        ...["--root", root, "--socket", sock, "--socket-mode", "666"],
        ...["--upload", "--auth", "alice:pw"],
      ]);
      assert.match(netkit.stderr(), /serving .* on unix socket .*netkit\.sock \(http\+unix:/);
      assert.equal((await Deno.lstat(sock)).mode! & 0o777, 0o666);
      assert.equal((await curl([`${base}/hello.txt`])).text, "hello through nginx\n");
      const put = await curl([
        "-u",
        "alice:pw",
        "-T",
        "-",
        `${base}/up.txt`,
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
      ]);
      assert.equal(put.text, "201");
      const listing = await curl(["-H", "Accept: application/json", `${base}/`]);
      assert.deepEqual(
        JSON.parse(listing.text).entries.map((e: { name: string }) => e.name).sort(),
        ["hello.txt", "up.txt"],
      );
      assert.equal(
        (await curl(["-o", "/dev/null", "-w", "%{http_code}", `${base}/nope`])).text,
        "404",
      );
      // A second server on the same socket is refused while the first answers.
      const second = await runNetkit(["http", "--root", root, "--socket", sock]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^netkit: another server answers on .*netkit\.sock\n$/);
      assert.equal((await netkit.stop()).code, 0);
    }
    await assert.rejects(Deno.lstat(sock), Deno.errors.NotFound); // removed at the end
    {
      // Mode 600: only root may connect, so nginx's workers get no answer.
      await using netkit = await startNetkitServer([
        "http",
        ...["--root", root, "--socket", sock, "--socket-mode", "600"],
      ]);
      assert.equal((await Deno.lstat(sock)).mode! & 0o777, 0o600);
      assert.equal(
        (await curl(["-o", "/dev/null", "-w", "%{http_code}", `${base}/hello.txt`])).text,
        "502",
      );
      await netkit.stop();
    }
  },
});

Deno.test("socket: a stale socket file is replaced; a file that is not a socket is left alone", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(dir.join("index.html"), "hi");
  const sock = dir.join("s.sock");
  {
    // A server that dies leaves its socket file behind.
    const dead = await startNetkitServer(["http", "--root", dir.path, "--socket", sock]);
    await dead.stop("SIGKILL");
    assert.ok((await Deno.lstat(sock)).isSocket);
    await assert.rejects(
      Deno.connect({ transport: "unix", path: sock }),
      Deno.errors.ConnectionRefused,
    );
  }
  {
    await using netkit = await startNetkitServer(["http", "--root", dir.path, "--socket", sock]);
    const conn = await Deno.connect({ transport: "unix", path: sock });
    await conn.write(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const answer = await new Response(conn.readable).text();
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.match(answer, /hi$/);
    await netkit.stop();
  }
  const plain = dir.join("plain.txt");
  await Deno.writeTextFile(plain, "keep me");
  const r = await runNetkit(["http", "--root", dir.path, "--socket", plain]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /plain\.txt exists and is not a socket; not replacing it/);
  assert.equal(await Deno.readTextFile(plain), "keep me");
});
