// A real Better Auth (email and password, its JWT plugin) on a loopback port, for the tests of
// external tokens: Better Auth is ESM and does not run inside jest, so the tests fork this file
// (see better-auth.ts) and talk to it over HTTP, like a web client, and over the IPC channel, for
// what only the issuer's owner can do (sign a payload of their choosing, rotate the key).
//
// Environment: AUDIENCE (required), ISSUER (default: its own base URL), BETTER_AUTH_SECRET.
// The auth options are the ones the README recommends; keep the two the same.
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { jwt } from 'better-auth/plugins';

const db = { user: [], session: [], account: [], verification: [], jwks: [] };
/** The last verification link Better Auth "mailed" to each address. */
const verificationLinks = new Map();
/** When the JWKS was served (the API's fetches of it). */
const jwksFetches = [];

let handle = (_request, response) => response.writeHead(503).end();
const server = createServer((request, response) => {
  if (request.url?.startsWith('/api/auth/jwks')) jwksFetches.push(Date.now());
  handle(request, response);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseURL = `http://127.0.0.1:${server.address().port}`;
const issuer = process.env.ISSUER || baseURL;

const auth = betterAuth({
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  database: memoryAdapter(db),
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true },
  emailVerification: {
    sendOnSignUp: true,
    sendVerificationEmail: async ({ user, url }) => {
      verificationLinks.set(user.email, url);
    },
  },
  plugins: [
    jwt({
      jwt: {
        issuer,
        audience: process.env.AUDIENCE,
        definePayload: ({ user }) => ({
          email: user.email,
          name: user.name,
          emailVerified: user.emailVerified,
        }),
      },
    }),
  ],
});
handle = toNodeHandler(auth);

/** What the tests may ask of the issuer's owner; each answers with a JSON-able value. */
const commands = {
  /** A token for any payload, signed with the issuer's current key (defaults: iss, aud, exp). */
  sign: async ({ payload }) => (await auth.api.signJWT({ body: { payload } })).token,
  /**
   * Rotates as `jwks.rotationInterval` does when it runs out: the current key expires, the next
   * token is signed with a new key (a new kid), and the old one stays in the set for its grace.
   */
  rotate: async () => {
    const now = new Date();
    for (const key of db.jwks) key.expiresAt = now;
    return db.jwks.length;
  },
  verificationLink: async ({ email }) => verificationLinks.get(email) ?? null,
  jwksFetches: async () => jwksFetches,
};

process.on('message', async ({ id, command, ...args }) => {
  try {
    process.send({ id, result: await commands[command](args) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: { baseURL, issuer } });
