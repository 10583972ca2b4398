import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { CodePointLength, Trim } from '../../../common/validation';
import { API_SCOPES, type ApiScope } from '../token-access';

// class-validator runs a property's decorators bottom-up: the type check (lowest) comes first.

const SCOPES_MESSAGE = `scopes must be a non-empty list of distinct scopes: ${API_SCOPES.join(', ')}`;

export class CreateApiTokenDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 100,
    description: 'What the token is for, to recognise it in the list (trimmed)',
    example: 'Nightly export script',
  })
  @Trim()
  @CodePointLength(1, 100)
  @IsString()
  name: string;

  @ApiProperty({
    type: [String],
    enum: API_SCOPES,
    minItems: 1,
    maxItems: API_SCOPES.length,
    uniqueItems: true,
    description:
      '`tasks:read`: every GET under /api/{user_id}; `tasks:write`: every method there, webhooks included; `admin`: /api/admin, only while you are an admin. A scope given twice is a 400.',
    example: ['tasks:read'],
  })
  @ArrayUnique({ message: SCOPES_MESSAGE })
  @IsIn(API_SCOPES, { each: true, message: SCOPES_MESSAGE })
  @ArrayMaxSize(API_SCOPES.length, { message: SCOPES_MESSAGE })
  @ArrayNotEmpty({ message: SCOPES_MESSAGE })
  @IsArray({ message: SCOPES_MESSAGE })
  scopes: ApiScope[];

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 365,
    description: 'Days until the token stops working; absent or null: it never expires',
    example: 90,
  })
  @IsOptional()
  @Max(365, { message: 'expires_in_days must be a whole number of days from 1 to 365' })
  @Min(1, { message: 'expires_in_days must be a whole number of days from 1 to 365' })
  @IsInt({ message: 'expires_in_days must be a whole number of days from 1 to 365' })
  expires_in_days?: number | null;
}

export class ApiTokenResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Nightly export script' })
  name: string;

  @ApiProperty({ type: [String], enum: API_SCOPES, example: ['tasks:read'] })
  scopes: ApiScope[];

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null: never expires',
  })
  expires_at: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Kept to the minute: updated at most once a minute, so it may be up to a minute behind the last use; null: never used',
  })
  last_used_at: string | null;
}

export class CreatedApiTokenResponse extends ApiTokenResponse {
  @ApiProperty({
    description:
      'The token, shown only in this answer (only a hash is stored): `tap_` + 43 characters of base64url. Send it as `Authorization: Bearer tap_...`',
    example: 'tap_Xq3v1Jd0bq6k2sB9mC8nA7lR5tY4uW1eZ0pO9iU8hGf',
  })
  token: string;
}
