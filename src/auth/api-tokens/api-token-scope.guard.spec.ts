import { Controller, Delete, ExecutionContext, Get, Patch, Post, Put } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OwnerRoutes } from '../../common/owner-routes.decorator';
import { ProblemException } from '../../common/problem';
import { AdminOnly } from '../admin-only.decorator';
import type { AuthUser } from '../auth-user';
import { Public } from '../public.decorator';
import { ApiTokenScopeGuard } from './api-token-scope.guard';
import { ApiTokenAccess, type ApiScope } from './token-access';

@Controller('api/things')
class Unclassified {
  @Get() read() {}
  @Post() write() {}
}

@OwnerRoutes('Tasks', 'things')
class Owner {
  @Get() read() {}
  @Post() create() {}
  @Put(':id') replace() {}
  @Delete(':id') remove() {}
}

@AdminOnly()
@Controller('api/admin/things')
class Admin {
  @Get() read() {}
  @Post() write() {}
}

@ApiTokenAccess('none')
@Controller('api/auth')
class Account {
  @Get('me') @ApiTokenAccess('any') me() {}
  @Patch('me') rename() {}
  @Post('login') @Public() login() {}
}

@Public()
@Controller('health')
class Health {
  @Get() live() {}
}

type Route = [controller: new () => object, handler: string];

const ID = '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const TOKEN = `tap_${'A'.repeat(43)}`;
const tokenCaller = (...scopes: ApiScope[]): AuthUser => ({
  id: ID,
  role: 'admin',
  credential: 'api_token',
  tokenId: ID,
  scopes,
});

const contextFor = ([controller, handler]: Route, user?: AuthUser, authorization?: string) =>
  ({
    switchToHttp: () => ({ getRequest: () => ({ user, headers: { authorization } }) }),
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    getClass: () => controller,
  }) as unknown as ExecutionContext;

describe('ApiTokenScopeGuard', () => {
  const guard = new ApiTokenScopeGuard(new Reflector());
  const allowed = (route: Route, user?: AuthUser, authorization?: string) => {
    try {
      return guard.canActivate(contextFor(route, user, authorization));
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).getStatus()).toBe(403);
      expect((error as ProblemException).code).toBe('INSUFFICIENT_SCOPE');
      return false;
    }
  };
  const every: Route[] = [
    [Unclassified, 'read'],
    [Unclassified, 'write'],
    [Owner, 'read'],
    [Owner, 'create'],
    [Owner, 'replace'],
    [Owner, 'remove'],
    [Admin, 'read'],
    [Admin, 'write'],
    [Account, 'me'],
    [Account, 'rename'],
  ];
  const permitted = (user: AuthUser) =>
    every.filter((route) => allowed(route, user)).map(([c, h]) => `${c.name}.${h}`);

  it('leaves every caller but an API token alone, unclassified routes included', () => {
    const session: AuthUser = { id: ID, role: 'user', credential: 'session', sessionId: ID };
    const external: AuthUser = { id: ID, role: 'user', credential: 'external' };
    expect(permitted(session)).toHaveLength(every.length);
    expect(permitted(external)).toHaveLength(every.length);
  });

  it('tasks:read: reads of the owner routes and GET me; nothing else', () => {
    expect(permitted(tokenCaller('tasks:read'))).toEqual(['Owner.read', 'Account.me']);
  });

  it('tasks:write: every method of the owner routes and GET me', () => {
    expect(permitted(tokenCaller('tasks:write'))).toEqual([
      'Owner.read',
      'Owner.create',
      'Owner.replace',
      'Owner.remove',
      'Account.me',
    ]);
  });

  it('admin: the admin routes and GET me (RolesGuard checks the role after)', () => {
    expect(permitted(tokenCaller('admin'))).toEqual(['Admin.read', 'Admin.write', 'Account.me']);
  });

  it('all three scopes still cannot reach a route that declares nothing, nor the account', () => {
    expect(permitted(tokenCaller('tasks:read', 'tasks:write', 'admin'))).not.toEqual(
      expect.arrayContaining(['Unclassified.read', 'Unclassified.write', 'Account.rename']),
    );
  });

  it('on public routes, refuses a presented API token only where the route says none', () => {
    expect(allowed([Health, 'live'], undefined, `Bearer ${TOKEN}`)).toBe(true);
    expect(allowed([Account, 'login'], undefined, `Bearer ${TOKEN}`)).toBe(false);
    expect(allowed([Account, 'login'], undefined, `bearer ${TOKEN}`)).toBe(false);
    expect(allowed([Account, 'login'], undefined, 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x')).toBe(true);
    expect(allowed([Account, 'login'])).toBe(true);
  });
});
