/**
 * Who a file-service client is and what it may do: signing in from the
 * HELLO (a user and password, or the server's token, through the shared
 * sign-in check and its throttle), and each request checked against the
 * access rules.
 *
 * @module
 */

import { anonymous, D, R, type Subject, W } from "../core/access/access_rules.ts";
import { NetkitError } from "../core/errors.ts";
import { type Hello, type Put, PutFlag } from "../protocol/file/messages.ts";
import type { SessionContext } from "./session_context.ts";

/**
 * Signs the client in from its HELLO: a user and password (the token field)
 * against the accounts, or the server's token, through the shared sign-in
 * check and its throttle; anonymous when it offers nothing and the rules
 * grant anonymous clients something.
 *
 * @throws {NetkitError} `UNAUTHORIZED` for wrong or missing credentials,
 *   `BUSY` when the throttle refuses the attempt
 */
export async function authenticate(
  hello: Hello,
  conn: Deno.Conn,
  ctx: SessionContext,
  stopping: AbortSignal,
): Promise<Subject> {
  const address = (conn.remoteAddr as Deno.NetAddr).hostname;
  const { signIn, rules } = ctx;
  if (hello.user === undefined && hello.token.length === 0) {
    const anon = anonymous(address);
    if (rules.reachable(anon, [])) return anon;
    throw new NetkitError("UNAUTHORIZED", "this server requires a token or a user");
  }
  const key = signIn.keyOf(`${hello.user ?? ""}\0${new TextDecoder().decode(hello.token)}`);
  const id = await signIn.check(
    hello.user === undefined
      ? { kind: "token", token: hello.token }
      : { kind: "password", user: hello.user, password: hello.token },
    address,
    key,
    stopping,
  );
  if (id === null) {
    throw new NetkitError(
      "UNAUTHORIZED",
      hello.user === undefined ? "wrong token" : "wrong user or password",
    );
  }
  return { user: id.user, signedIn: true, address };
}

/** The bits a PUT needs: `w`, and `d` too when it would replace a file. */
export function putNeeds(ctx: SessionContext, m: Put): number {
  if ((m.flags & PutFlag.OVERWRITE) === 0) return W;
  try {
    return ctx.store.library.tryFind([ctx.store.check(m.name)]) ? W | D : W;
  } catch {
    return W; // a bad name is refused by the request itself
  }
}

/**
 * Checks that `subject` holds `need` on `name`.
 *
 * @throws {NetkitError} `UNAUTHORIZED` when signing in could help, else `FORBIDDEN`
 */
export function permit(ctx: SessionContext, subject: Subject, name: string, need: number): void {
  if (ctx.rules.can(subject, [name], need)) return;
  const what = need === R ? "read" : need === W ? "write" : "replace";
  if (ctx.rules.refusal(subject, [name], need) === "sign-in") {
    throw new NetkitError("UNAUTHORIZED", `sign in to ${what} ${JSON.stringify(name)}`);
  }
  throw new NetkitError("FORBIDDEN", `you may not ${what} ${JSON.stringify(name)}`);
}
