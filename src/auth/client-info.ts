import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Where a login comes from, as its session keeps it. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** The caller's user agent (first 500 characters) and address, for the session it starts. */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return {
    userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
    ip: request.ip ?? null,
  };
});
