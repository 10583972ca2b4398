import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Matches, ValidateIf } from 'class-validator';
import { PageQuery } from '../../common/paging';
import { CodePointLength, Trim } from '../../common/validation';

// class-validator runs a property's decorators bottom-up: the type check (lowest) comes first.

export class CreateListDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Groceries' })
  @Trim()
  @CodePointLength(1, 100)
  @IsString()
  name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: '^#[0-9a-fA-F]{6}$',
    description: '`#rrggbb`, stored lower-case; null for none',
    example: '#3366ff',
  })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @Matches(/^#[0-9a-f]{6}$/, { message: 'color must be #rrggbb (e.g. #3366ff) or null' })
  @IsString({ message: 'color must be #rrggbb (e.g. #3366ff) or null' })
  color?: string | null;
}

/** Only the fields given change; `null` clears the color (a null name is a 400). */
export class UpdateListDto extends PartialType(CreateListDto, { skipNullProperties: false }) {}

export class MoveListDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Put the list just before this list' })
  @IsOptional()
  @IsUUID('all', { message: 'before must be the id of one of your lists' })
  before?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Put the list just after this list' })
  @IsOptional()
  @IsUUID('all', { message: 'after must be the id of one of your lists' })
  after?: string;
}

export class ListListsQuery extends PageQuery {}

export class ListResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  user_id: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Groceries' })
  name: string;

  @ApiProperty({ type: String, nullable: true, example: '#3366ff' })
  color: string | null;

  @ApiProperty({ description: 'Opaque; its byte order is the manual order of your lists' })
  position: string;

  @ApiProperty({ description: 'Your default list (Inbox): it can be renamed, not deleted' })
  is_default: boolean;

  @ApiProperty({ type: 'integer', description: 'Tasks in the list (outside the trash)' })
  task_count: number;

  @ApiProperty({ type: 'integer', description: 'Of those, the ones not completed' })
  pending_count: number;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}
