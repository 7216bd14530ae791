/**
 * Request paths that try to leave the served root (against the fixture of
 * `http_helpers.ts`): dot segments raw, encoded, double-encoded and overlong,
 * backslashes, NUL, other roots, symlinks out, hidden and internal names.
 * Used for request targets and for WebDAV's Destination header alike.
 *
 * @module
 */

/** The corpus. */
export const CORPUS = [
  "/../outside/secret.txt",
  "/../../../../../../etc/passwd",
  "/%2e%2e/outside/secret.txt",
  "/%2E%2E/%2E%2E/etc/passwd",
  "/%2e%2e%2foutside%2fsecret.txt",
  "/..%2foutside%2fsecret.txt",
  "/.%2e/outside/secret.txt",
  "/%252e%252e/outside/secret.txt",
  "/%252e%252e%252foutside%252fsecret.txt",
  "/..%5coutside%5csecret.txt",
  "/..\\outside\\secret.txt",
  "/%5c..%5coutside%5csecret.txt",
  "/%c0%ae%c0%ae/outside/secret.txt",
  "/%c0%af../outside/secret.txt",
  "/%e0%80%ae%e0%80%ae/outside/secret.txt",
  "/hello.txt%00.png",
  "/%00",
  "/..%00/outside/secret.txt",
  "//outside/secret.txt",
  "/%2f%2foutside/secret.txt",
  "/%2foutside/secret.txt",
  "/docs/../../outside/secret.txt",
  "/docs/%2e%2e/%2e%2e/outside/secret.txt",
  "/../root2/secret.txt",
  "/%2e%2e/root2/secret.txt",
  "/link-out.txt",
  "/dir-out/secret.txt",
  "/dir-out/",
  "/sibling.txt",
  "/.env",
  "/.git/config",
  "/%2eenv",
  "/%2egit/config",
  "/.netkit-tmp.x",
  "/C:/Windows/win.ini",
  "/%",
  "/%zz",
  "/a%",
];
