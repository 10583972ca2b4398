import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, ValidateIf } from 'class-validator';
import { PageQuery } from '../../common/paging';
import { CodePointLength, Trim } from '../../common/validation';
import { ListTasksQuery, ORDERS } from '../../tasks/dto/task.dto';
import { UserResponse } from '../../users/dto/user.response';
import { ROLES, type Role } from '../../users/user.entity';

export const USER_SORTS = ['created', 'email', 'last_login'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export const USER_STATUSES = ['active', 'banned'] as const;

/** A blank `q=` (an empty search box) means no search. */
const BlankIsAbsent = () =>
  Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({
    description:
      'Case-insensitive substring of the email or the name, trimmed and taken literally (% and _ are not wildcards). Empty means no search.',
    maxLength: 254,
  })
  @IsOptional()
  @BlankIsAbsent()
  @Trim()
  // A blank q never gets here (it is absent), so the documented minimum is none.
  @CodePointLength(0, 254)
  // Validators run bottom-up and stop at the first error: a non-string is told it must be one.
  @IsString()
  q?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ enum: USER_STATUSES, description: 'Absent: both' })
  @IsOptional()
  @IsIn(USER_STATUSES, { message: `status must be one of ${USER_STATUSES.join(', ')}` })
  status?: (typeof USER_STATUSES)[number];

  @ApiPropertyOptional({
    enum: USER_SORTS,
    default: 'created',
    description: 'Ties are broken by id; users who never logged in sort last for last_login',
  })
  @IsOptional()
  @IsIn(USER_SORTS, { message: `sort must be one of ${USER_SORTS.join(', ')}` })
  sort: UserSort = 'created';

  @ApiPropertyOptional({ enum: ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(ORDERS, { message: 'order must be asc or desc' })
  order: (typeof ORDERS)[number] = 'desc';
}

/** The owner's task filters, across every user, optionally narrowed to one. */
export class AdminListTasksQuery extends ListTasksQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this user's tasks" })
  @IsOptional()
  @IsUUID('all', { message: 'user_id must be a UUID' })
  user_id?: string;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role;
}

export class BanUserDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    example: 'Spam',
    description: 'Shown to admins as ban_reason',
  })
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @Trim()
  @CodePointLength(0, 500)
  // Bottom-up, like q's: the type first.
  @IsString()
  reason?: string | null;
}

/** A count in a response: an integer, with an example. */
const ApiCount = (example: number, description?: string) =>
  ApiProperty({ type: 'integer', example, ...(description ? { description } : {}) });

export class AdminUserResponse extends UserResponse {
  @ApiProperty({ example: false })
  banned: boolean;

  @ApiProperty({ type: String, nullable: true, example: null })
  ban_reason: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_login_at: string | null;

  @ApiCount(3, 'Number of tasks the user owns')
  task_count: number;
}

export class UserStats {
  @ApiCount(12)
  total: number;

  @ApiCount(1)
  admins: number;

  @ApiCount(0)
  banned: number;
}

export class TaskStats {
  @ApiCount(40)
  total: number;

  @ApiCount(25)
  completed: number;

  @ApiCount(15)
  pending: number;

  @ApiCount(2, 'Pending tasks whose due date has passed')
  overdue: number;
}

export class StatsResponse {
  @ApiProperty({ type: UserStats })
  users: UserStats;

  @ApiProperty({ type: TaskStats })
  tasks: TaskStats;
}

export class AuditEntryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The admin who acted; null for the start-up bootstrap',
  })
  actor_id: string | null;

  @ApiProperty({
    example: 'user.banned',
    description:
      'user.role_changed, user.banned, user.unbanned, user.deleted, task.deleted, user.bootstrap_admin',
  })
  action: string;

  @ApiProperty({ enum: ['user', 'task'] })
  target_type: string;

  @ApiProperty({ format: 'uuid' })
  target_id: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { reason: 'Spam' } })
  details: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}
