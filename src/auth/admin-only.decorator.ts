import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiExtension, ApiTags } from '@nestjs/swagger';
import { ApiProblem } from '../common/api-problems.decorator';
import { ApiTokenAccess } from './api-tokens/token-access';
import { Roles } from './roles.decorator';
import { RolesGuard } from './roles.guard';

/**
 * The whole access rule of an admin controller in one line: a valid token (the global
 * JwtAuthGuard), then role admin (RolesGuard), and the same rule in the OpenAPI document (whose
 * security and 401 finishDocument adds to every protected route). An API token needs the scope
 * `admin` as well as its user the role.
 */
export const AdminOnly = () =>
  applyDecorators(
    Roles('admin'),
    UseGuards(RolesGuard),
    ApiTokenAccess('admin'),
    ApiTags('Admin'),
    ApiExtension('x-required-role', 'admin'),
    ApiProblem(403, 'The caller is not an admin (FORBIDDEN): role admin is required'),
  );
