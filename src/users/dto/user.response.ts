import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role, type User } from '../user.entity';

export class UserResponse {
  @ApiProperty({ format: 'uuid', example: '0b6f3d1e-4a7c-4b8e-9f2a-1c3d5e7f9a0b' })
  id: string;

  @ApiProperty({ format: 'email', example: 'alice@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 100, example: 'Alice' })
  name: string | null;

  @ApiProperty({ enum: ROLES, example: 'user' })
  role: Role;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

/** What leaves the server about a user: never its hash or token material. */
export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
