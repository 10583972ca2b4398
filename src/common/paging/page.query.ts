import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { SortOrder } from './keyset';

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100';

/** `limit` and `cursor`, shared by every list's query DTO (extend it). */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(100, { message: LIMIT_MESSAGE })
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
