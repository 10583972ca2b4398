import { ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { ProblemException } from '../common/problem';
import { pathNamesCaller } from './ownership';
import { OwnershipInterceptor } from './ownership.interceptor';

const CALLER = '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('pathNamesCaller', () => {
  it.each([
    ['me', true],
    [CALLER, true],
    [CALLER.toUpperCase(), true],
    [OTHER, false],
    ['ME', false],
    ['', false],
    [undefined, false],
    [`${CALLER} `, false],
    ['not-a-uuid', false],
  ])('%p names the caller: %p', (pathUserId, expected) => {
    expect(pathNamesCaller(pathUserId, CALLER)).toBe(expected);
  });
});

describe('OwnershipInterceptor', () => {
  const interceptor = new OwnershipInterceptor();
  const contextFor = (userId: string | undefined, user: Partial<AuthUser>) =>
    ({
      switchToHttp: () => ({
        getRequest: () => ({ params: { user_id: userId }, user }),
      }),
    }) as unknown as ExecutionContext;
  const handler = { handle: jest.fn(() => of('handled')) };

  beforeEach(() => handler.handle.mockClear());

  it.each(['me', CALLER])('lets %p through to the handler', async (userId) => {
    const result = interceptor.intercept(contextFor(userId, { id: CALLER, role: 'user' }), handler);
    await expect(lastValueFrom(result)).resolves.toBe('handled');
    expect(handler.handle).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['a user', 'user'],
    ['an admin', 'admin'],
  ] as const)('answers 403 FORBIDDEN to %s naming another user', (_, role) => {
    let thrown: unknown;
    try {
      interceptor.intercept(contextFor(OTHER, { id: CALLER, role }), handler);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemException);
    expect((thrown as ProblemException).getStatus()).toBe(403);
    expect((thrown as ProblemException).code).toBe('FORBIDDEN');
    expect(handler.handle).not.toHaveBeenCalled();
  });
});
