import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiProblems, ProblemSchema } from '../common/api-problems.decorator';
import { Roles } from './roles.decorator';
import { RolesGuard } from './roles.guard';

/**
 * The whole access rule of an admin controller in one line: a valid token (the global
 * JwtAuthGuard), then role admin (RolesGuard), and the same rule in the OpenAPI document.
 */
export const AdminOnly = () =>
  applyDecorators(
    Roles('admin'),
    UseGuards(RolesGuard),
    ApiTags('Admin'),
    ApiBearerAuth(),
    ApiExtension('x-required-role', 'admin'),
    ApiProblems(401),
    ApiResponse({
      status: 403,
      description: 'The caller is not an admin (FORBIDDEN): role admin is required',
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } },
    }),
  );
