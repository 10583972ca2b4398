import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { SortOrder } from './keyset';

/**
 * A `limit` query parameter: an integer from 1 to `max`, `fallback` when absent. Digits only are
 * turned into a number (a query value arrives as a string); anything else stays as sent, for the
 * validators to refuse with one message.
 */
export function LimitParam(max: number, fallback: number) {
  const message = `limit must be an integer from 1 to ${max}`;
  const digits = new RegExp(`^\\d{1,${String(max).length}}$`);
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: max, default: fallback }),
    IsOptional(),
    Transform(({ value }) =>
      typeof value === 'string' && digits.test(value) ? Number(value) : value,
    ),
    IsInt({ message }),
    Min(1, { message }),
    Max(max, { message }),
  );
}

/** `limit` and `cursor`, shared by every list's query DTO (extend it). */
export class PageQuery {
  @LimitParam(100, 50)
  limit: number = 50;

  @ApiPropertyOptional({
    description: 'Opaque position from the `Link: <...>; rel="next"` header of the previous page',
    maxLength: 2048,
  })
  @IsOptional()
  @MaxLength(2048, {
    message: 'cursor is malformed: pass the cursor of a rel="next" link unchanged',
  })
  @IsString({ message: 'cursor must be given once, as a string' })
  cursor?: string;
}

const SORT_ORDERS: readonly SortOrder[] = ['asc', 'desc'];

/** The `order` of a sorted list's query DTO: asc or desc, desc when absent. */
export const SortOrderParam = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: SORT_ORDERS, default: 'desc' }),
    IsOptional(),
    IsIn(SORT_ORDERS, { message: 'order must be asc or desc' }),
  );
