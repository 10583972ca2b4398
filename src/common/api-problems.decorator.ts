import { applyDecorators } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  ApiExtraModels,
} from '@nestjs/swagger';

export class FieldErrorSchema {
  @ApiProperty({ example: 'title' })
  field: string;

  @ApiProperty({ example: 'title must be 1 to 200 characters' })
  message: string;
}

/** RFC 9457 problem details: the body of every error response. */
export class ProblemSchema {
  @ApiProperty({ example: 'https://task-api.dev/problems/validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status: number;

  @ApiProperty({ example: 'Invalid request: check title.' })
  detail: string;

  @ApiProperty({ description: 'Stable UPPER_SNAKE error code', example: 'VALIDATION_FAILED' })
  code: string;

  @ApiPropertyOptional({
    type: [FieldErrorSchema],
    description: 'One entry per offending field (400 only)',
  })
  errors?: FieldErrorSchema[];

  @ApiPropertyOptional({ description: 'Present on 5xx: quote it when reporting the problem' })
  request_id?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED lists each field)',
  401: 'Missing, invalid, expired or revoked token (UNAUTHENTICATED)',
  403: 'Not allowed (FORBIDDEN)',
  404: 'Not found, or not yours',
  409: 'Conflict with the current state',
  412: 'If-Match does not match the current ETag (PRECONDITION_FAILED)',
  413: 'Body larger than 100 KiB',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with a different body',
  429: 'Too many requests (see Retry-After)',
  500: 'Unexpected error (INTERNAL_ERROR): a bug, logged with the request id',
  503: 'Database unavailable (SERVICE_UNAVAILABLE, see Retry-After)',
};

/** One problem+json response, as the OpenAPI document lists it. */
export const problemResponse = (status: number) => ({
  description: DESCRIPTIONS[status] ?? 'Error',
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } },
});

/** Documents the problem+json responses an operation can return. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}

/**
 * One problem response with what it means on this route (its codes), and the headers it sets
 * beyond the shared ones: an integrator reads `409 EMAIL_TAKEN`, not just `409 Conflict`.
 */
export function ApiProblem(
  status: number,
  description: string,
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>,
) {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ApiResponse({ status, ...problemResponse(status), description, headers }),
  );
}
