import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  Max,
  Min,
  IsOptional,
  IsString,
  ValidateIf,
} from 'class-validator';
import { CodePointLength, IsIsoDateTime, ToDate, Trim } from '../../common/validation';
import { PRIORITIES, type Priority } from '../task.entity';

/** Tags are trimmed, lower-cased and de-duplicated; non-strings are left for validation to reject. */
const NormalizeTags = () =>
  Transform(({ value }) =>
    Array.isArray(value) && value.every((tag) => typeof tag === 'string')
      ? [...new Set(value.map((tag: string) => tag.trim().toLowerCase()))]
      : value,
  );

/** `undefined` (absent) skips validation; `null` is only allowed where the field is nullable. */
const IsAbsent = () => ValidateIf((_, value) => value !== undefined);
const IsAbsentOrNull = () => ValidateIf((_, value) => value !== undefined && value !== null);

export class CreateTaskDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Write the quarterly report' })
  @Trim()
  @CodePointLength(1, 200)
  @IsString()
  title: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1000,
    example: 'Numbers from finance first',
  })
  @IsAbsentOrNull()
  @CodePointLength(0, 1000)
  @IsString()
  description?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsAbsent()
  @IsBoolean()
  completed?: boolean;

  @ApiPropertyOptional({ enum: PRIORITIES, default: 'medium' })
  @IsAbsent()
  @IsIn(PRIORITIES, { message: `priority must be one of ${PRIORITIES.join(', ')}` })
  priority?: Priority;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'ISO 8601; a bare date (2026-12-01) means midnight UTC',
    example: '2026-12-01T09:00:00.000Z',
  })
  @ToDate()
  @IsAbsentOrNull()
  @IsIsoDateTime()
  due_date?: Date | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 50 },
    maxItems: 20,
    description: 'Up to 20 distinct tags, each 1-50 characters; trimmed and lower-cased',
    example: ['work', 'q4'],
  })
  @NormalizeTags()
  @IsAbsent()
  @CodePointLength(1, 50, { each: true, message: 'each tag must be 1 to 50 characters' })
  @IsString({ each: true, message: 'each tag must be a string' })
  @ArrayMaxSize(20)
  @IsArray()
  tags?: string[];
}

/** PUT and PATCH both apply the fields given and leave the others. */
export class UpdateTaskDto extends PartialType(CreateTaskDto) {}

export class CompleteTaskDto {
  @ApiPropertyOptional({ description: 'Set instead of toggling (safe to retry)' })
  @IsAbsent()
  @IsBoolean()
  completed?: boolean;
}

export const TASK_SORTS = ['created', 'title'] as const;
export const TASK_STATUSES = ['all', 'pending', 'completed'] as const;
export const ORDERS = ['asc', 'desc'] as const;

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100';

export class ListTasksQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES, default: 'all' })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status: (typeof TASK_STATUSES)[number] = 'all';

  @ApiPropertyOptional({ enum: TASK_SORTS, default: 'created' })
  @IsOptional()
  @IsIn(TASK_SORTS, { message: `sort must be one of ${TASK_SORTS.join(', ')}` })
  sort: (typeof TASK_SORTS)[number] = 'created';

  @ApiPropertyOptional({ enum: ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(ORDERS, { message: 'order must be asc or desc' })
  order: (typeof ORDERS)[number] = 'desc';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(100, { message: LIMIT_MESSAGE })
  limit: number = 50;
}

export class TaskResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  user_id: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Write the quarterly report' })
  title: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 1000 })
  description: string | null;

  @ApiProperty()
  completed: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at: string | null;

  @ApiProperty({ enum: PRIORITIES })
  priority: Priority;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  due_date: string | null;

  @ApiProperty({ type: [String], example: ['work', 'q4'] })
  tags: string[];

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

/** Only `status=completed` is accepted: a bulk delete never guesses what else was meant. */
export class ClearCompletedQuery {
  @ApiProperty({ enum: ['completed'] })
  @IsIn(['completed'], { message: 'status must be completed (the only bulk delete there is)' })
  status: 'completed';
}

export class ClearCompletedResponse {
  @ApiProperty({ type: 'integer', example: 3 })
  deleted: number;
}
