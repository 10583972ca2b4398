import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  buildMessage,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { PageQuery } from '../../common/paging';
import { CodePointLength, IsIsoDateTime, ToDate, Trim } from '../../common/validation';
import { canonicalTimeZone, parseRecurrence, RECURRENCE_MAX_LENGTH } from '../recurrence';
import { PRIORITIES, type Priority } from '../task.entity';

/** A valid rule is stored normalised (upper case, no `RRULE:`); anything else stays for the check. */
const NormalizeRecurrence = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const parsed = parseRecurrence(value);
    return 'rule' in parsed ? parsed.rule : value;
  });

/** The check behind NormalizeRecurrence: its message says what is wrong with the rule. */
const IsRecurrence = () =>
  ValidateBy({
    name: 'isRecurrence',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && 'rule' in parseRecurrence(value),
      defaultMessage: (args) =>
        typeof args?.value === 'string'
          ? (parseRecurrence(args.value) as { error: string }).error
          : 'recurrence must be an RRULE string such as FREQ=WEEKLY;BYDAY=MO, or null',
    },
  });

const ToCanonicalTimeZone = () =>
  Transform(({ value }) =>
    typeof value === 'string' ? (canonicalTimeZone(value) ?? value) : value,
  );

const IsTimeZone = () =>
  ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && canonicalTimeZone(value) === value,
      defaultMessage: buildMessage(
        () => '$property must be an IANA time zone such as Europe/Berlin or UTC',
      ),
    },
  });

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

/** A task's list in a body: optional, one of the caller's lists (the service checks whose). */
const ListIdField = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ format: 'uuid', description }),
    IsAbsent(),
    IsUUID('all', { message: 'list_id must be the id of one of your lists' }),
  );

/** A task's parent in a body: optional, null for top-level. */
const ParentIdField = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description }),
    IsAbsentOrNull(),
    IsUUID('all', { message: 'parent_id must be the id of one of your top-level tasks, or null' }),
  );

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

  @ListIdField('One of your lists (default: your default list). A subtask is in its parent’s list.')
  list_id?: string;

  @ParentIdField(
    'One of your top-level tasks: this task becomes its subtask (one level only); null: top-level',
  )
  parent_id?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: RECURRENCE_MAX_LENGTH,
    description:
      'An RFC 5545 RRULE (a leading `RRULE:` is accepted): FREQ DAILY, WEEKLY, MONTHLY or YEARLY, with INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT or UNTIL. Needs a due_date. Stored upper-case without `RRULE:`.',
    example: 'FREQ=WEEKLY;BYDAY=MO,TH',
  })
  @NormalizeRecurrence()
  @IsAbsentOrNull()
  @IsRecurrence()
  recurrence?: string | null;

  @ApiPropertyOptional({
    default: 'UTC',
    description:
      'The IANA time zone the recurrence is expanded in: "every Monday 09:00" stays at 09:00 there across daylight-saving changes',
    example: 'Europe/Berlin',
  })
  @ToCanonicalTimeZone()
  @IsAbsent()
  @IsTimeZone()
  timezone?: string;
}

/** `POST .../tasks/{id}/move`: where the task goes, with its subtasks. */
export class MoveTaskDto {
  @ListIdField('Into this list of yours')
  list_id?: string;

  @ParentIdField('Under this top-level task of yours; null makes the task top-level')
  parent_id?: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Just before this task among its new siblings',
  })
  @IsAbsent()
  @IsUUID('all', { message: 'before must be the id of a task among the new siblings' })
  before?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Just after this task among its new siblings',
  })
  @IsAbsent()
  @IsUUID('all', { message: 'after must be the id of a task among the new siblings' })
  after?: string;
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

export const TASK_SORTS = [
  'created',
  'updated',
  'title',
  'due_date',
  'priority',
  'position',
] as const;
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
    format: 'uuid',
    description: 'Tasks in this list of yours',
  })
  @IsOptional()
  @IsUUID('all', { message: 'list_id must be a list id' })
  list_id?: string;

  @ApiPropertyOptional({
    description: "A task's subtasks (its id), or `none` for top-level tasks only",
  })
  @IsOptional()
  @Matches(/^(none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, {
    message: 'parent_id must be a task id or none',
  })
  @IsString({ message: 'parent_id must be given once, as a string' })
  parent_id?: string;

  @ApiPropertyOptional({
    enum: TASK_SORTS,
    default: 'created',
    description:
      'title is case-insensitive; due_date puts tasks without one last in both orders; priority is high > medium > low; position is the manual order; ties by id',
  })
  @IsOptional()
  @IsIn(TASK_SORTS, { message: `sort must be one of ${TASK_SORTS.join(', ')}` })
  sort: TaskSort = 'created';

  @ApiPropertyOptional({
    enum: ORDERS,
    description: 'Default desc; asc for sort=position (the manual order, first to last)',
  })
  @IsOptional()
  @IsIn(ORDERS, { message: 'order must be asc or desc' })
  order?: (typeof ORDERS)[number];
}

export class TaskResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  user_id: string;

  @ApiProperty({ format: 'uuid' })
  list_id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Set on a subtask' })
  parent_id: string | null;

  @ApiProperty({
    description:
      'Opaque; its byte order is the manual order among the siblings (same list and parent)',
    example: 'a0',
  })
  position: string;

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

  @ApiProperty({ type: String, nullable: true, example: 'FREQ=WEEKLY;BYDAY=MO,TH' })
  recurrence: string | null;

  @ApiProperty({ example: 'Europe/Berlin' })
  timezone: string;

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

export class CompletionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  task_id: string;

  @ApiProperty({ format: 'date-time', description: 'The occurrence that was completed' })
  due_date: string;

  @ApiProperty({ format: 'date-time' })
  completed_at: string;
}
