import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '../../common/problem';

export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new ProblemException(HttpStatus.TOO_MANY_REQUESTS, 'TOO_MANY_REQUESTS', detail, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
