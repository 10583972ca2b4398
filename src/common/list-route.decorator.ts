import { applyDecorators, type Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, type ApiOperationOptions } from '@nestjs/swagger';
import { ApiProblems } from './api-problems.decorator';

/**
 * A paged list of `item`. Its query is validated, so it can answer 400 (finishDocument adds the
 * 400 only to routes with a body; it adds the paging headers itself).
 */
export const ListRoute = (operation: ApiOperationOptions, item: Type) =>
  applyDecorators(ApiOperation(operation), ApiOkResponse({ type: [item] }), ApiProblems(400));
