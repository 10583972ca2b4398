import { randomUUID } from 'node:crypto';
import { ModulesContainer } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import type { Test } from 'supertest';
import { registerUser, Registered } from './builders';
import type { TestApp } from './test-app';

export const ADMIN_PASSWORD = 'admin-password-123';

/** A TestApp started with a bootstrap admin, and that admin logged in. */
export async function loginAdmin(t: TestApp): Promise<Registered> {
  const email = t.config.adminEmail!;
  const response = await t
    .http()
    .post('/api/auth/login')
    .send({ email, password: ADMIN_PASSWORD })
    .expect(200);
  const token = response.body.access_token as string;
  return {
    id: response.body.user.id,
    email,
    password: ADMIN_PASSWORD,
    token,
    refreshToken: response.body.refresh_token,
    auth: { Authorization: `Bearer ${token}` },
  };
}

/** A fresh user made admin directly in the database (test set-up, not the API under test). */
export async function registerAdmin(t: TestApp): Promise<Registered> {
  const user = await registerUser(t);
  await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
  return user;
}

export interface DiscoveredRoute {
  method: string;
  path: string;
}

/**
 * Every route Nest registered, read from the controllers' routing metadata of the running app
 * (not a hand-written list), as `GET /api/admin/users/:id`.
 */
export function registeredRoutes(t: TestApp): DiscoveredRoute[] {
  const routes: DiscoveredRoute[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, controller));
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        for (const prefix of prefixes) {
          for (const path of asArray(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({ method: RequestMethod[method], path: joinPath(prefix, path) });
          }
        }
      }
    }
  }
  return routes;
}

const asArray = (value: unknown): string[] =>
  value === undefined ? [''] : Array.isArray(value) ? value : [String(value)];

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');

/** The path with every `:param` filled in (a random UUID unless `values` names it). */
export const fillParams = (path: string, values: Record<string, string> = {}) =>
  path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? randomUUID());

type Actor = Pick<Registered, 'auth'>;

/** The admin routes that act on a user, sent as `actor` (or whoever the getter names then). */
export function adminApi(t: TestApp, actor: Actor | (() => Actor)) {
  const auth = () => (typeof actor === 'function' ? actor() : actor).auth;
  const withBody = (call: Test, body?: object) => (body === undefined ? call : call.send(body));
  return {
    setRole: (id: string, role: string) =>
      t.http().patch(`/api/admin/users/${id}/role`).set(auth()).send({ role }),
    ban: (id: string, body?: object) =>
      withBody(t.http().post(`/api/admin/users/${id}/ban`).set(auth()), body),
    unban: (id: string) => t.http().post(`/api/admin/users/${id}/unban`).set(auth()),
    deleteUser: (id: string) => t.http().delete(`/api/admin/users/${id}`).set(auth()),
    /** The newest audit entry. */
    lastAudit: async () =>
      (await t.http().get('/api/admin/audit-log?limit=1').set(auth()).expect(200)).body[0],
  };
}
