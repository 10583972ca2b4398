import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { CodePointLength, Trim } from '../../common/validation';
import { UserResponse } from '../../users/dto/user.response';

// class-validator runs a property's checks bottom-up and the pipe stops at the first failure
// (stopAtFirstError): the type or format check sits lowest so it is the one reported, then lengths.

/** Emails are one account however they are typed: trimmed and lower-cased. */
const NormalizeEmail = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'alice@example.com' })
  @NormalizeEmail()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128, example: 'correct horse battery staple' })
  @Length(8, 128, { message: 'password must be 8 to 128 characters' })
  @IsString()
  password: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'Alice' })
  @IsOptional()
  @Trim()
  @CodePointLength(0, 100)
  @IsString()
  name?: string;
}

export class LoginDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'alice@example.com' })
  @NormalizeEmail()
  @MaxLength(254)
  @IsString()
  email: string;

  @ApiProperty({ maxLength: 1024, example: 'correct horse battery staple' })
  @MaxLength(1024)
  @IsString()
  password: string;
}

export class UpdateMeDto {
  @ApiProperty({ maxLength: 100, example: 'Alice Liddell' })
  @Trim()
  @CodePointLength(0, 100)
  @IsString()
  name: string;
}

export class SessionResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ description: 'JWT access token: send as `Authorization: Bearer <token>`' })
  access_token: string;

  @ApiProperty({ description: 'Opaque refresh token (rotates on every use)' })
  refresh_token: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ type: 'integer', description: 'Access token lifetime in seconds', example: 900 })
  expires_in: number;
}
