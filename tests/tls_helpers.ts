/**
 * Makes a self-signed certificate for 127.0.0.1 and localhost with openssl,
 * the way a user would for a test server (an end-entity certificate: CA:FALSE
 * and a subjectAltName, which rustls insists on).
 *
 * @module
 */

/** A certificate and its key, as files and as PEM text. */
export interface TestCert {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** Creates `cert.pem` and `key.pem` in `dir`. */
export async function makeCert(dir: string): Promise<TestCert> {
  const certPath = `${dir}/cert.pem`;
  const keyPath = `${dir}/key.pem`;
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  return {
    certPath,
    keyPath,
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
  };
}
