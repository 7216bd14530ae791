import assert from "node:assert/strict";
import { formatHostPort, isLoopback } from "../core/net/net.ts";

Deno.test("isLoopback: only addresses that stay on this machine, in any spelling", () => {
  const table: [string, boolean][] = [
    ["localhost", true],
    ["LocalHost", true],
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["127.1.2.3", true],
    ["[::1]", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["[0:0:0:0:0:0:0:1]", true],
    ["0::1", true],
    ["::ffff:127.0.0.1", true],
    ["[::FFFF:127.9.8.7]", true],
    ["::ffff:7f00:1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["[::]", false],
    ["192.168.1.2", false],
    ["10.0.0.1", false],
    ["127.0.0.256", false],
    ["127.1", false], // a short form some resolvers read as 127.0.0.1: not trusted
    ["0127.0.0.1", false], // octal to inet_aton: 87.0.0.1
    ["127.0.0.1.example.com", false],
    ["localhost.example.com", false],
    ["::ffff:128.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::127.0.0.1", false], // IPv4-compatible, deprecated, not loopback
    ["::2", false],
    ["::1%lo", false],
    ["::1]", false],
    ["[::1", false],
    ["[[::1]]", false],
    ["", false],
    ["[]", false],
    ["example.com", false],
  ];
  for (const [host, expected] of table) {
    assert.equal(isLoopback(host), expected, JSON.stringify(host));
  }
});

Deno.test("formatHostPort: IPv6 in brackets, IPv4 and names as they are", () => {
  assert.equal(formatHostPort("127.0.0.1", 7070), "127.0.0.1:7070");
  assert.equal(formatHostPort("example.com", 80), "example.com:80");
  assert.equal(formatHostPort("::1", 0), "[::1]:0");
  assert.equal(formatHostPort("fe80::1%eth0", 69), "[fe80::1%eth0]:69");
  assert.equal(formatHostPort("[::1]", 8000), "[::1]:8000");
});
