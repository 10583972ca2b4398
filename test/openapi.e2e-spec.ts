import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { contractSchemaNames, operations } from '../src/openapi/openapi-document';
import { generateOpenApiDocument } from '../src/openapi/write-openapi';
import { useTestApp } from './support/test-app';

const TAGS = ['Auth', 'Lists', 'Tasks', 'Trash', 'Sync', 'Webhooks', 'Admin', 'Health'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/** The routes of a password or login here, which an external issuer's token cannot use. */
const LOCAL_LOGIN_ONLY = ['changePassword', 'listSessions', 'revokeSession'];

describe('OpenAPI document', () => {
  const t = useTestApp();
  let served: Record<string, any>;
  beforeAll(async () => {
    const response = await t.http().get('/docs-json').expect(200);
    served = response.body;
  });

  it('npm run openapi generates exactly what /docs-json serves, without a server or database', async () => {
    expect(JSON.parse(await generateOpenApiDocument())).toEqual(served);
  });

  it('the committed openapi.json is up to date (else: npm run openapi)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    expect(committed).toEqual(served);
  });

  it('generates byte-identical output every time', async () => {
    expect(await generateOpenApiDocument()).toBe(await generateOpenApiDocument());
  });

  it('every operation has a camelCase unique operationId, a summary and one known tag', () => {
    const all = operations(served as any);
    expect(all.length).toBeGreaterThan(10);
    for (const operation of all) {
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary).toEqual(expect.any(String));
      expect(operation.tags).toHaveLength(1);
      expect(TAGS).toContain(operation.tags[0]);
    }
    const ids = all.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(served.components.schemas.Problem).toBeDefined();
    expect(served.components.schemas.Task).toBeDefined();
  });

  it('every response documents X-Request-Id; 401 documents WWW-Authenticate, 503 Retry-After', () => {
    for (const operation of operations(served as any)) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        expect(response.headers['X-Request-Id']).toBeDefined();
        if (status === '401') expect(response.headers['WWW-Authenticate']).toBeDefined();
        if (status === '503') expect(response.headers['Retry-After']).toBeDefined();
      }
    }
  });

  it('no optional query or header parameter has an example (Swagger UI would pre-fill and send it)', () => {
    const prefilled: string[] = [];
    for (const operation of operations(served as any)) {
      for (const parameter of operation.parameters ?? []) {
        const example = parameter.example ?? parameter.schema?.example;
        if (parameter.in !== 'path' && !parameter.required && example !== undefined) {
          prefilled.push(`${operation.operationId} ${parameter.in} ${parameter.name}`);
        }
      }
    }
    expect(prefilled).toEqual([]);
  });

  it('says bearer exactly where the server asks for a token, and none on public routes', async () => {
    const checked: string[] = [];
    for (const [path, item] of Object.entries<any>(served.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const url = path
          .replace('{user_id}', 'me')
          .replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const response = await t.http()[method](url).set('content-type', 'application/json');
        const isPublic = operation.security.length === 0;
        if (isPublic) {
          expect([method, path, response.status]).not.toEqual([method, path, 401]);
        } else {
          // The API's own access token always; an API token too where its scopes can reach
          // (test/api-token-scopes.e2e-spec.ts checks where); an external issuer's token
          // everywhere but on the password and session routes.
          const tokenSchemes = operation.security.filter(
            (scheme: object) => !('apiToken' in scheme),
          );
          const external = LOCAL_LOGIN_ONLY.includes(operation.operationId)
            ? []
            : [{ externalJwt: [] }];
          expect([operation.operationId, tokenSchemes]).toEqual([
            operation.operationId,
            [{ bearer: [] }, ...external],
          ]);
          expect(operation.responses['401']).toBeDefined();
          expect([method, path, response.status]).toEqual([method, path, 401]);
        }
        checked.push(`${method} ${path}`);
      }
    }
    expect(checked.length).toBe(operations(served as any).length);
  });

  it('describes the external issuer’s scheme, and its 403 on the local-login routes', () => {
    expect(served.components.securitySchemes.externalJwt).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: expect.stringContaining('AUTH_JWKS_URL'),
    });
    const byId = new Map(operations(served as any).map((o: any) => [o.operationId, o]));
    for (const id of [...LOCAL_LOGIN_ONLY, 'refresh', 'logout']) {
      expect([id, byId.get(id).responses['403']?.description]).toEqual([
        id,
        expect.stringMatching(/external issuer.*FORBIDDEN/),
      ]);
    }
  });

  it('documents the constraints the validators enforce (lengths, enums, integers, required)', () => {
    const schemas: Record<string, any> = served.components.schemas;
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<new () => unknown, unknown[]>;
    };
    const checked: string[] = [];
    for (const target of storage.validationMetadatas.keys()) {
      const rules = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
      const properties = [...new Set(rules.map((rule) => rule.propertyName))];
      const name = contractSchemaNames([target.name])[target.name] ?? target.name;
      // A body DTO is a schema; a query DTO becomes the query parameters of its operations.
      const places: {
        where: string;
        schemaOf: (p: string) => any;
        required: (p: string) => boolean;
      }[] = [];
      if (schemas[name]) {
        places.push({
          where: name,
          schemaOf: (property) => schemas[name].properties?.[property],
          required: (property) => (schemas[name].required ?? []).includes(property),
        });
      }
      for (const operation of operations(served as any)) {
        const query = (operation.parameters ?? []).filter((p: any) => p.in === 'query');
        const byName = new Map<string, any>(query.map((p: any) => [p.name, p]));
        const sameNames =
          byName.size === properties.length && properties.every((property) => byName.has(property));
        if (schemas[name] || !sameNames) continue;
        places.push({
          where: `${operation.operationId} query`,
          schemaOf: (property) => byName.get(property).schema,
          required: (property) => byName.get(property).required === true,
        });
      }
      for (const place of places) {
        for (const property of properties) {
          const own = rules.filter((rule) => rule.propertyName === property);
          const schema = place.schemaOf(property);
          const at = `${place.where}.${property}`;
          expect([at, schema !== undefined]).toEqual([at, true]);
          const optional = own.some((rule) => rule.type === 'conditionalValidation');
          expect([at, 'required', place.required(property)]).toEqual([at, 'required', !optional]);
          for (const rule of own) {
            const s = rule.each ? schema.items : schema;
            const [a, b] = (rule.constraints ?? []) as any[];
            const expected: Record<string, Record<string, unknown>> = {
              codePointLength: { minLength: a > 0 ? a : undefined, maxLength: b },
              isLength: { minLength: a > 0 ? a : undefined, maxLength: b },
              maxLength: { maxLength: a },
              minLength: { minLength: a },
              isIn: { enum: a },
              isInt: { type: 'integer' },
              min: { minimum: a },
              max: { maximum: a },
              arrayMaxSize: { maxItems: a },
              arrayMinSize: { minItems: a },
              isBoolean: { type: 'boolean' },
              isString: { type: 'string' },
              isArray: { type: 'array' },
              isEmail: { format: 'email' },
              isUuid: { format: 'uuid' },
              isIsoDateTime: { format: 'date-time' },
            };
            for (const [keyword, value] of Object.entries(expected[rule.name ?? ''] ?? {})) {
              expect([at, rule.name, keyword, s?.[keyword]]).toEqual([
                at,
                rule.name,
                keyword,
                value,
              ]);
            }
          }
        }
        checked.push(place.where);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining(['CreateTaskDto', 'RegisterDto', 'listTasks query']),
    );
  });
});
