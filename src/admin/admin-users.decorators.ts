import { applyDecorators, HttpCode } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  type ApiOperationOptions,
} from '@nestjs/swagger';
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { AdminUserResponse } from './dto/admin.dto';

/**
 * A route on one user, named by a path id: a malformed id is a 400 (the OpenAPI document adds
 * the 400 only to routes with a body), no such user a 404.
 */
export const OnUser = (notFound = 'No such user (USER_NOT_FOUND)') =>
  applyDecorators(ApiProblems(400), ApiProblem(404, notFound));

/** Refused on oneself and on the last admin. */
export const Lockout = () =>
  ApiProblem(409, 'Yourself (SELF_ACTION) or the last admin (LAST_ADMIN)');

/** A change to one user, answered with the user as it is afterwards. */
export const UserChange = (operation: ApiOperationOptions) =>
  applyDecorators(
    HttpCode(200),
    ApiOperation(operation),
    ApiOkResponse({ type: AdminUserResponse }),
    OnUser(),
  );

/** 204, no body. */
export const Deletes = (operation: ApiOperationOptions) =>
  applyDecorators(
    HttpCode(204),
    ApiOperation(operation),
    ApiNoContentResponse({ description: 'Deleted' }),
  );
