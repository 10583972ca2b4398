import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  ValidateIf,
} from 'class-validator';
import { PageQuery } from '../../common/paging';
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

/**
 * PUT and PATCH both apply the fields given and leave the others. Only an absent field is
 * skipped: `null` is still validated, so it clears the nullable fields and is a 400 for the
 * others (never a NOT NULL violation in the database).
 */
export class UpdateTaskDto extends PartialType(CreateTaskDto, { skipNullProperties: false }) {}

export class CompleteTaskDto {
  @ApiPropertyOptional({ description: 'Set instead of toggling (safe to retry)', example: true })
  @IsAbsent()
  @IsBoolean()
  completed?: boolean;
}

export const TASK_SORTS = ['created', 'updated', 'title', 'due_date', 'priority'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export const TASK_STATUSES = ['all', 'pending', 'completed'] as const;
export const ORDERS = ['asc', 'desc'] as const;

/** A repeated query parameter arrives as an array: it gets this message instead of a type error. */
const ONCE = (name: string) => `${name} must be given once, as a string`;

/**
 * No `example` on the filters: Swagger UI pre-fills Try it out with examples, and a pre-filled
 * filter would make the first Execute show an empty list. Examples go in the descriptions.
 */
export class ListTasksQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES, default: 'all' })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status: (typeof TASK_STATUSES)[number] = 'all';

  @ApiPropertyOptional({
    description:
      'Case-insensitive substring of the title or the description, taken literally (% and _ are not wildcards), e.g. `report`. Empty means no search.',
    maxLength: 200,
  })
  @IsOptional()
  @CodePointLength(0, 200, { message: 'q must be at most 200 characters' })
  @IsString({ message: ONCE('q') })
  q?: string;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional()
  @IsIn(PRIORITIES, { message: `priority must be one of ${PRIORITIES.join(', ')}` })
  priority?: Priority;

  @ApiPropertyOptional({
    description: 'Tasks carrying this tag (matched lower-cased), e.g. `work`',
    minLength: 1,
    maxLength: 50,
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @CodePointLength(1, 50, { message: 'tag must be 1 to 50 characters' })
  @IsString({ message: ONCE('tag') })
  tag?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'Tasks due strictly before this instant, e.g. `2026-12-08T00:00:00Z` (ISO 8601; a bare date is midnight UTC)',
  })
  @IsOptional()
  @ToDate()
  @IsIsoDateTime()
  due_before?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'Tasks due at or after this instant, e.g. `2026-12-01` (ISO 8601; a bare date is midnight UTC)',
  })
  @IsOptional()
  @ToDate()
  @IsIsoDateTime()
  due_after?: Date;

  @ApiPropertyOptional({
    enum: TASK_SORTS,
    default: 'created',
    description:
      'title is case-insensitive; due_date puts tasks without one last in both orders; priority is high > medium > low; ties by id',
  })
  @IsOptional()
  @IsIn(TASK_SORTS, { message: `sort must be one of ${TASK_SORTS.join(', ')}` })
  sort: TaskSort = 'created';

  @ApiPropertyOptional({ enum: ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(ORDERS, { message: 'order must be asc or desc' })
  order: (typeof ORDERS)[number] = 'desc';
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
