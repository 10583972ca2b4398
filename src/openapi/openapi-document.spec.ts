import type { OpenAPIObject } from '@nestjs/swagger';
import { TOKEN_ACCESS_EXTENSION } from '../auth/api-tokens/token-access';
import {
  API_TOKEN_SCOPES,
  contractSchemaNames,
  finishDocument,
  LOCAL_LOGIN_OPERATION,
  PUBLIC_OPERATION,
} from './openapi-document';

const ok = { description: 'OK', content: { 'application/json': { schema: { type: 'array' } } } };

function documentWith(paths: Record<string, any>): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 'Test', version: '1' },
    paths,
    components: {
      schemas: {
        TaskResponse: { type: 'object' },
        ProblemSchema: { type: 'object' },
        CreateTaskDto: { type: 'object' },
      },
    },
  };
}

describe('finishDocument', () => {
  const document = finishDocument(
    documentWith({
      '/api/admin/users': {
        get: {
          operationId: 'listUsers',
          tags: ['Admin'],
          parameters: [
            { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: { '200': { ...ok, description: '' } },
        },
      },
      '/api/auth/login': {
        post: {
          operationId: 'login',
          tags: ['Auth'],
          [PUBLIC_OPERATION]: true,
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': { $ref: '#/components/responses/X' }, '409': { description: 'x' } },
        },
      },
      '/api/auth/sessions': {
        get: {
          operationId: 'listSessions',
          tags: ['Auth'],
          [LOCAL_LOGIN_OPERATION]: true,
          responses: { '200': ok },
        },
      },
      '/api/{user_id}/tasks': {
        get: {
          operationId: 'listTasks',
          tags: ['Tasks'],
          parameters: [{ name: 'user_id', in: 'path', required: true, schema: { example: 'me' } }],
          responses: {
            '200': {
              description: 'OK',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/TaskResponse' } },
              },
            },
          },
        },
      },
    }),
  );
  const listUsers: any = document.paths['/api/admin/users'].get;
  const login: any = document.paths['/api/auth/login'].post;
  const listTasks: any = document.paths['/api/{user_id}/tasks'].get;
  const listSessions: any = document.paths['/api/auth/sessions'].get;

  it('public operations need no token; the others need the bearer token and document 401', () => {
    expect(login.security).toEqual([]);
    expect(login[PUBLIC_OPERATION]).toBeUndefined();
    expect(login.responses['401']).toBeUndefined();
    expect(listTasks.security).toEqual([{ bearer: [] }, { externalJwt: [] }]);
    expect(listTasks.responses['401']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
  });

  it('a local-login route takes only the API’s own bearer token; the external scheme is described', () => {
    expect(listSessions.security).toEqual([{ bearer: [] }]);
    expect(listSessions[LOCAL_LOGIN_OPERATION]).toBeUndefined();
    expect(document.components?.securitySchemes?.externalJwt).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('adds 400/413/415 to operations with a body, 403 to Admin, 500/503 everywhere', () => {
    expect(Object.keys(login.responses)).toEqual(['200', '400', '409', '413', '415', '500', '503']);
    expect(Object.keys(listUsers.responses)).toEqual(['200', '401', '403', '500', '503']);
  });

  it('documents X-Request-Id everywhere, WWW-Authenticate on 401, Link and X-Total-Count on paged lists', () => {
    expect(listTasks.responses['200'].headers).toEqual({
      'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
    });
    expect(listTasks.responses['401'].headers).toHaveProperty('WWW-Authenticate');
    expect(listTasks.responses['503'].headers).toHaveProperty('Retry-After');
    expect(Object.keys(listUsers.responses['200'].headers)).toEqual([
      'X-Total-Count',
      'Link',
      'X-Request-Id',
    ]);
    expect(login.responses['200']).toEqual({ $ref: '#/components/responses/X' });
  });

  it('never leaves a response description blank', () => {
    expect(listUsers.responses['200'].description).toBe('OK');
  });

  it('types untyped parameters as strings', () => {
    expect(listTasks.parameters![0]).toMatchObject({ schema: { type: 'string', example: 'me' } });
  });

  it('uses contract names for schemas and their references, sorted', () => {
    expect(Object.keys(document.components!.schemas!)).toEqual([
      'CreateTaskDto',
      'Problem',
      'Task',
    ]);
    expect(JSON.stringify(document)).not.toMatch(/TaskResponse|ProblemSchema/);
    expect(listTasks.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Task',
    });
  });

  it('lists only the tags in use, in a fixed order, and sorts paths', () => {
    expect(document.tags!.map((tag) => tag.name)).toEqual(['Auth', 'Tasks', 'Admin']);
    expect(Object.keys(document.paths)).toEqual([
      '/api/admin/users',
      '/api/auth/login',
      '/api/auth/sessions',
      '/api/{user_id}/tasks',
    ]);
    expect(Object.keys(document)).toEqual([
      'openapi',
      'info',
      'servers',
      'tags',
      'paths',
      'components',
    ]);
  });
});

describe('finishDocument: API tokens', () => {
  const operation = (access: string | undefined, extra: Record<string, unknown> = {}) => ({
    operationId: 'x',
    tags: ['Tasks'],
    ...(access ? { [TOKEN_ACCESS_EXTENSION]: access } : {}),
    responses: { '200': ok },
    ...extra,
  });
  const document = finishDocument(
    documentWith({
      '/owner': {
        get: operation('owner'),
        post: operation('owner', {
          responses: { '200': ok, '403': { description: 'Not your path (FORBIDDEN)' } },
        }),
      },
      '/me': { get: operation('any') },
      '/account': { patch: operation('none'), put: operation(undefined) },
      '/login': { post: operation('none', { [PUBLIC_OPERATION]: true }) },
      '/health': { get: operation(undefined, { [PUBLIC_OPERATION]: true }) },
    }),
  );
  const op = (path: string, method: string): any => (document.paths[path] as any)[method];

  it('offers the API token scheme, with the scopes that will do, where a token may call', () => {
    // (and an external issuer's token wherever a route is not about a login here)
    expect(op('/owner', 'get').security).toEqual([
      { bearer: [] },
      { apiToken: [] },
      { externalJwt: [] },
    ]);
    expect(op('/owner', 'get')[API_TOKEN_SCOPES]).toEqual(['tasks:read', 'tasks:write']);
    expect(op('/owner', 'post')[API_TOKEN_SCOPES]).toEqual(['tasks:write']);
    expect(op('/me', 'get')[API_TOKEN_SCOPES]).toEqual(['tasks:read', 'tasks:write', 'admin']);
    for (const [path, method] of [
      ['/account', 'patch'],
      ['/account', 'put'],
    ]) {
      expect(op(path, method).security).toEqual([{ bearer: [] }, { externalJwt: [] }]);
      expect(op(path, method)[API_TOKEN_SCOPES]).toBeUndefined();
    }
    expect(op('/login', 'post').security).toEqual([]);
    expect(JSON.stringify(document)).not.toContain(TOKEN_ACCESS_EXTENSION);
  });

  it('documents 403 INSUFFICIENT_SCOPE wherever a token can get it, next to any other 403', () => {
    expect(op('/owner', 'get').responses['403'].description).toMatch(
      /^Called with an API token without the scope tasks:read or tasks:write \(INSUFFICIENT_SCOPE\)$/,
    );
    expect(op('/owner', 'post').responses['403'].description).toBe(
      'Not your path (FORBIDDEN); or called with an API token without the scope tasks:write (INSUFFICIENT_SCOPE)',
    );
    for (const [path, method] of [
      ['/account', 'patch'],
      ['/account', 'put'],
      ['/login', 'post'],
    ]) {
      expect(op(path, method).responses['403']).toMatchObject({
        description: expect.stringMatching(/not for API tokens \(INSUFFICIENT_SCOPE\)$/),
        content: { 'application/problem+json': expect.any(Object) },
      });
    }
    expect(op('/me', 'get').responses['403']).toBeUndefined();
    expect(op('/health', 'get').responses['403']).toBeUndefined();
  });
});

describe('contractSchemaNames', () => {
  it('drops Response/Schema suffixes unless the shorter name is taken', () => {
    expect(contractSchemaNames(['TaskResponse', 'UserSchema', 'Session', 'CreateTaskDto'])).toEqual(
      { TaskResponse: 'Task', UserSchema: 'User' },
    );
    expect(contractSchemaNames(['Task', 'TaskResponse'])).toEqual({});
  });
});
