import { SetMetadata } from '@nestjs/common';
import type { Role } from '../users/user.entity';

export const ROLES_KEY = 'roles';

/** The roles allowed to call a route (checked by RolesGuard against the role in the database). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
