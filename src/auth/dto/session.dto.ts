import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length, MaxLength } from 'class-validator';

// class-validator runs a property's checks bottom-up and the pipe stops at the first failure
// (stopAtFirstError): the type or format check sits lowest so it is the one reported, then lengths.
export class RefreshDto {
  @ApiProperty({
    description: 'The refresh token of the last Session',
    minLength: 1,
    maxLength: 512,
    example: 'kq3Z...',
  })
  @MaxLength(512)
  @IsNotEmpty()
  @IsString()
  refresh_token: string;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 1024, example: 'correct horse battery staple' })
  @MaxLength(1024)
  @IsString()
  current_password: string;

  @ApiProperty({ minLength: 8, maxLength: 128, example: 'a new long passphrase' })
  @Length(8, 128, { message: 'new_password must be 8 to 128 characters' })
  @IsString()
  new_password: string;
}

/** One login of the caller. */
export class SessionInfo {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'Login or last refresh' })
  last_used_at: string;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 ...' })
  user_agent: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ description: 'True for the login of the access token making this request' })
  current: boolean;
}
