import { STATUS_CODES } from 'node:http';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  acceptedScopes,
  API_SCOPES,
  TOKEN_ACCESS_EXTENSION,
  type TokenAccess,
} from '../auth/api-tokens/token-access';
import { problemResponse } from '../common/api-problems.decorator';

/** Set by @Public(): the operation needs no token, so the document says `security: []`. */
export const PUBLIC_OPERATION = 'x-public';

export const BEARER = 'bearer';
/** The security scheme of API tokens (`tap_...`), also a bearer token. */
export const API_TOKEN = 'apiToken';
/** The scopes any one of which lets an API token call the operation (absent: none can). */
export const API_TOKEN_SCOPES = 'x-api-token-scopes';

/** Set by @LocalLoginOnly(): a route an external issuer's token cannot use (403). */
export const LOCAL_LOGIN_OPERATION = 'x-local-login';

/** A JWT of the external issuer (AUTH_JWKS_URL): listed beside `bearer` where it is accepted. */
export const EXTERNAL_JWT = 'externalJwt';
const EXTERNAL_JWT_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'A JWT of your own sign-in service (Better Auth’s JWT plugin, Auth0, Clerk, any OIDC issuer), ' +
    'accepted when the server sets AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE. It is checked ' +
    'against the issuer’s key set (key by `kid`, algorithm one of AUTH_ALGORITHMS, `iss`, `aud`, ' +
    '`exp` and `nbf` with 60 s of clock skew): any failure is 401 UNAUTHENTICATED, a key set ' +
    'that cannot be fetched included. The caller is the account linked ' +
    'to the token’s (`iss`, `sub`); the first token makes it from the `email` and `name` claims ' +
    '(role `user`), or links the account that has that email when the token says it is ' +
    'verified (`email_verified` or `emailVerified`), else that first request is 409 EMAIL_TAKEN. ' +
    'Bans and deletion are this API’s: a banned account is 401. It has no password or login ' +
    'here: the password and session routes are 403 FORBIDDEN with it.',
} as const;

/** Tag order and descriptions as Swagger UI shows them; a tag no operation uses is left out. */
const TAGS: Record<string, string> = {
  Auth: 'Sign-up, login, tokens and your own account',
  Lists: 'Your own lists: /api/{user_id}/lists where {user_id} is your id or `me`',
  Tasks: 'Your own tasks: /api/{user_id}/tasks where {user_id} is your id or `me`',
  Trash: 'Your deleted tasks, restorable for TRASH_RETENTION (30 days by default)',
  Sync: 'The change feed, for clients that keep a copy of your tasks and lists and work offline',
  Webhooks: 'Signed POSTs to your URL when your tasks and lists change (Standard Webhooks)',
  Admin: 'User and task oversight (role admin only)',
  Health: 'Liveness and readiness probes',
};

const HEADERS = {
  'X-Request-Id': {
    description:
      'The caller’s own X-Request-Id when it sent a sane one (1-128 of `A-Za-z0-9._:-`), else a generated one; the server’s log lines for the request carry it',
    schema: { type: 'string', example: '5f0c2a7e-4a3b-4c1d-9e8f-0a1b2c3d4e5f' },
  },
  'WWW-Authenticate': {
    description: 'Always `Bearer`',
    schema: { type: 'string', example: 'Bearer' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', example: 5 },
  },
  'X-Total-Count': {
    description:
      'Number of rows matching the filters (all pages), exact up to COUNT_LIMIT (10,000 by default). When more rows match it is left out, and the page costs what a small one does; the Link header pages through every row either way',
    schema: { type: 'integer', example: 57 },
  },
  Link: {
    description:
      'Present when there is a next page: its URL, with an opaque `cursor`; follow it until it is absent',
    schema: { type: 'string', example: '</api/me/tasks?limit=20&cursor=eyJ2Ijo...>; rel="next"' },
  },
};
const ref = (header: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${header}` });
const HEADERS_BY_STATUS: Record<string, (keyof typeof HEADERS)[]> = {
  '401': ['WWW-Authenticate'],
  '429': ['Retry-After'],
  '503': ['Retry-After'],
};

type Operation = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * What every operation has in common, applied here once rather than on each route, so routes
 * added later get it right without per-route work: security from @Public(), the problems
 * every route of a kind can answer (400/413/415 with a body, 401 when protected, 403 for Admin,
 * 500, 503), X-Request-Id on every response (Retry-After, WWW-Authenticate where they apply,
 * X-Total-Count and Link on paged lists), contract schema names, and a stable key order so the
 * committed openapi.json only changes when the API does.
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  const finished = structuredClone(document);
  const usedTags = new Set<string>();
  for (const [method, operation] of operationsByMethod(finished)) {
    finishOperation(operation, method);
    for (const tag of operation.tags ?? []) usedTags.add(tag);
  }
  const tags = [
    ...Object.keys(TAGS)
      .filter((name) => usedTags.has(name))
      .map((name) => ({ name, description: TAGS[name] })),
    ...[...usedTags].filter((name) => !(name in TAGS)).map((name) => ({ name })),
  ];
  const { openapi, info, paths, components, tags: _tags, servers: _servers, ...rest } = finished;
  const ordered: OpenAPIObject = {
    openapi,
    info,
    // Relative: the API is wherever the document is served from.
    servers: [{ url: '/' }],
    tags,
    ...rest,
    paths: sortKeys(paths),
    components: {
      ...components,
      securitySchemes: { ...components?.securitySchemes, [EXTERNAL_JWT]: EXTERNAL_JWT_SCHEME },
      headers: usedHeaders(finished),
    },
  };
  typeNullableOneOfs(ordered);
  return renameSchemas(ordered, contractSchemaNames(Object.keys(components?.schemas ?? {})));
}

/**
 * OpenAPI 3.0 wants a `type` beside `nullable`; @nestjs/swagger drops the one a property with
 * `oneOf` declares (the change feed's `data`: a Task, a List, or null), so it is put back here.
 */
function typeNullableOneOfs(document: OpenAPIObject) {
  type Schema = { type?: string; nullable?: boolean; oneOf?: unknown[] };
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const properties = (schema as { properties?: Record<string, Schema> }).properties ?? {};
    for (const property of Object.values(properties)) {
      if (property.nullable && property.oneOf && !property.type) property.type = 'object';
    }
  }
}

function finishOperation(operation: Operation, method: string) {
  const isPublic = operation[PUBLIC_OPERATION] === true;
  const localLogin = operation[LOCAL_LOGIN_OPERATION] === true;
  delete operation[PUBLIC_OPERATION];
  delete operation[LOCAL_LOGIN_OPERATION];
  const tokenAccess = operation[TOKEN_ACCESS_EXTENSION] as TokenAccess | undefined;
  delete operation[TOKEN_ACCESS_EXTENSION];
  // The same answer the scope guard gets for this route.
  const tokenScopes = acceptedScopes(tokenAccess, method.toUpperCase());
  operation.security = isPublic
    ? []
    : [
        { [BEARER]: [] },
        ...(tokenScopes ? [{ [API_TOKEN]: [] }] : []),
        ...(localLogin ? [] : [{ [EXTERNAL_JWT]: [] }]),
      ];
  if (!isPublic && tokenScopes) operation[API_TOKEN_SCOPES] = [...tokenScopes];
  const tags: string[] = operation.tags ?? [];
  // A parameter documented without a type would reach the generated client as `unknown`.
  for (const parameter of operation.parameters ?? []) {
    const schema = parameter.schema ?? {};
    const typed = ['type', '$ref', 'oneOf', 'anyOf', 'allOf'].some((key) => key in schema);
    if (!('$ref' in parameter) && !typed) parameter.schema = { type: 'string', ...schema };
  }
  const responses: Record<string, any> = operation.responses;
  if (operation.requestBody) {
    // The JSON body parser and the ValidationPipe answer these for any route with a body.
    for (const status of [400, 413, 415]) responses[status] ??= problemResponse(status);
  }
  if (!isPublic) responses['401'] ??= problemResponse(401);
  if (tags.includes('Admin')) responses['403'] ??= problemResponse(403);
  const refusal = scopeRefusal(isPublic, tokenAccess, tokenScopes);
  if (refusal) {
    const forbidden = responses['403'];
    responses['403'] = forbidden
      ? { ...forbidden, description: `${forbidden.description}; or ${refusal}` }
      : { ...problemResponse(403), description: refusal[0].toUpperCase() + refusal.slice(1) };
  }
  responses['500'] ??= problemResponse(500);
  // Health has its own 503 (not a problem); everything else needs the database.
  if (!tags.includes('Health')) responses['503'] ??= problemResponse(503);
  // A paged list (it takes a cursor) says so in headers on its 200.
  const paged = (operation.parameters ?? []).some(
    (parameter: any) => parameter.in === 'query' && parameter.name === 'cursor',
  );
  if (paged && responses['200'] && !('$ref' in responses['200'])) {
    const headers = (responses['200'].headers ??= {});
    headers['X-Total-Count'] ??= ref('X-Total-Count');
    headers.Link ??= ref('Link');
  }
  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) continue;
    // Swagger UI shows the description next to the status: never leave it blank.
    if (!response.description) response.description = STATUS_CODES[status] ?? status;
    response.headers = {
      ...response.headers,
      'X-Request-Id': ref('X-Request-Id'),
      ...Object.fromEntries((HEADERS_BY_STATUS[status] ?? []).map((h) => [h, ref(h)])),
    };
  }
  operation.responses = sortKeys(responses);
  // Keys in one order, whether a decorator emitted `security` or it was only added above.
  const ordered = sortKeys({ ...operation });
  for (const key of Object.keys(operation)) delete operation[key];
  Object.assign(operation, ordered);
}

/** When an API token gets 403 INSUFFICIENT_SCOPE from the operation, as a 403 description says it. */
function scopeRefusal(
  isPublic: boolean,
  access: TokenAccess | undefined,
  scopes: readonly string[] | undefined,
): string | undefined {
  const notForTokens =
    'called with an API token: this route is not for API tokens (INSUFFICIENT_SCOPE)';
  if (isPublic) return access === 'none' ? notForTokens : undefined;
  if (!scopes) return notForTokens;
  // Every token has one of them.
  if (scopes.length === API_SCOPES.length) return undefined;
  return `called with an API token without the scope ${scopes.join(' or ')} (INSUFFICIENT_SCOPE)`;
}

/**
 * Response DTO classes are named `TaskResponse`, `ProblemSchema` in code; the document uses the
 * contract's nouns (`Task`, `Problem`), which the generated client's types take too.
 */
export function contractSchemaNames(names: string[]): Record<string, string> {
  const renamed: Record<string, string> = {};
  for (const name of names) {
    const noun = name.replace(/(Response|Schema)$/, '');
    if (noun !== name && noun !== '' && !names.includes(noun)) renamed[name] = noun;
  }
  return renamed;
}

function renameSchemas(document: OpenAPIObject, names: Record<string, string>): OpenAPIObject {
  const text = JSON.stringify(document).replace(
    /"#\/components\/schemas\/([^"]+)"/g,
    (whole, name: string) => (names[name] ? `"#/components/schemas/${names[name]}"` : whole),
  );
  const renamed = JSON.parse(text) as OpenAPIObject;
  const schemas = renamed.components?.schemas ?? {};
  renamed.components!.schemas = sortKeys(
    Object.fromEntries(
      Object.entries(schemas).map(([name, schema]) => [names[name] ?? name, schema]),
    ),
  );
  return renamed;
}

/** Only the shared headers some response refers to (an unused component is a lint warning). */
function usedHeaders(document: OpenAPIObject) {
  const text = JSON.stringify(document.paths);
  return Object.fromEntries(
    Object.entries(HEADERS).filter(([name]) => text.includes(`"#/components/headers/${name}"`)),
  );
}

export function operations(document: OpenAPIObject): Operation[] {
  return operationsByMethod(document).map(([, operation]) => operation);
}

function operationsByMethod(document: OpenAPIObject): [method: string, Operation][] {
  return Object.values(document.paths).flatMap((item) =>
    METHODS.filter((method) => method in item).map((method): [string, Operation] => [
      method,
      (item as Record<string, Operation>)[method],
    ]),
  );
}

function sortKeys<T extends object>(object: T): T {
  return Object.fromEntries(
    Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as T;
}
