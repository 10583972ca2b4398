import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { LimitParam } from '../../common/paging';
import { ListResponse } from '../../lists/dto/list.dto';
import { TaskResponse } from '../../tasks/dto/task.dto';

export class ChangesQuery {
  @ApiPropertyOptional({
    description:
      'The `next_since` of your previous answer, unchanged. Without it: a full snapshot of your tasks and lists.',
    maxLength: 2048,
  })
  @IsOptional()
  @MaxLength(2048, { message: 'since is malformed: pass a next_since unchanged' })
  @IsString({ message: 'since must be given once, as a string' })
  since?: string;

  @LimitParam(1000, 500)
  limit: number = 500;
}

export class ChangeResponse {
  @ApiProperty({ enum: ['task', 'list'] })
  type: 'task' | 'list';

  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    enum: ['upsert', 'delete'],
    description:
      '`upsert`: created or changed, `data` is the object now; `delete`: gone (trashed or deleted), `data` is null',
  })
  op: 'upsert' | 'delete';

  // openapi-document.ts adds the `type` OpenAPI 3.0 wants beside `nullable`.
  @ApiProperty({
    nullable: true,
    oneOf: [{ $ref: getSchemaPath(TaskResponse) }, { $ref: getSchemaPath(ListResponse) }],
    description: 'The Task or List as GET returns it; null for a delete',
  })
  data: TaskResponse | ListResponse | null;
}

export class ChangesResponse {
  @ApiProperty({
    type: [ChangeResponse],
    description: 'Each object at most once, in its latest state',
  })
  changes: ChangeResponse[];

  @ApiProperty({
    description:
      'Opaque: pass it as `since` next time. An answer with no changes returns the same value.',
  })
  next_since: string;

  @ApiProperty({ description: 'More changes are waiting: call again with next_since now' })
  has_more: boolean;
}
