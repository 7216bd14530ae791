/** The accounts, rules and library of the access tables (`access_*_test.ts`). */

import { htpasswd } from "./users_helpers.ts";

/** True when Apache's `htpasswd` is installed (the tables need real `-B` files). */
export async function haveHtpasswd(): Promise<boolean> {
  return (await htpasswd("-nbB", "probe", "x")) !== null;
}

/** An HTTP Basic `Authorization` value. */
export const basic = (user: string, pw: string) => `Basic ${btoa(`${user}:${pw}`)}`;
/** The password of each test account. */
export const PASSWORDS: Record<string, string> = { alice: "alice-pw", bob: "bob-pw" };

/** A real `htpasswd -B` file in `dir` with `names`. */
export async function usersFile(dir: string, names: string[]): Promise<string> {
  const path = `${dir}/htpasswd`;
  const lines = await Promise.all(names.map((n) => htpasswd("-nbB", n, PASSWORDS[n])));
  await Deno.writeTextFile(path, lines.join(""));
  return path;
}

/** Public reading, a shared upload folder, an anonymous drop box, alice's private folder. */
export const HTTP_RULES = [
  "/:r:-",
  "/uploads:rw:alice,bob",
  "/drop:w:-",
  "/private:rwd:alice",
];

/** The library of the HTTP_RULES tables, with alice and bob in a users file. */
export async function rulesLibrary(dir: { path: string; join(...p: string[]): string }) {
  const root = dir.join("root");
  for (const d of ["root", "root/uploads", "root/drop", "root/private"]) {
    await Deno.mkdir(dir.join(d));
  }
  await Deno.writeTextFile(`${root}/pub.txt`, "public");
  await Deno.writeTextFile(`${root}/uploads/u.txt`, "upload");
  await Deno.writeTextFile(`${root}/private/p.txt`, "private");
  await Deno.writeTextFile(`${root}/drop/earlier.txt`, "dropped");
  return { root, users: await usersFile(dir.path, ["alice", "bob"]) };
}
