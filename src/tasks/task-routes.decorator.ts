import { applyDecorators, Headers, Param } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblem } from '../common/api-problems.decorator';
import { uuidParam } from '../common/uuid';
import { TaskResponse } from './dto/task.dto';

/** The `{id}` of a task route: a UUID, else a 400 naming it. */
export const TaskId = () => Param('id', uuidParam('id'));

/** The raw If-Match header; parsed in the handler, after the body's validation. */
export const IfMatch = () => Headers('if-match');

/**
 * The OpenAPI stacks the task routes share. What every operation has (security, 401, and
 * 400/413/415 for a body) is added by openapi/openapi-document.ts, not here.
 */

export const ETAG = {
  ETag: { description: 'Current version of the task (for If-Match)', schema: { type: 'string' } },
};

/** 200 with the task and its ETag: GET one and every write that returns the task. */
export const TaggedTaskResponse = () => ApiOkResponse({ type: TaskResponse, headers: ETAG });

export const TaskNotFound = (description = 'No such task, or not yours (TASK_NOT_FOUND)') =>
  ApiProblem(404, description);

/** A write to one task under If-Match: the header, 404, and 412 with the current ETag. */
export const TaskWrite = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'An ETag from GET (e.g. "3"): the write happens only if the task is still at that version, else 412 PRECONDITION_FAILED and nothing changes. `*` matches any version. Weak tags (W/"3") never match (strong comparison); a value that is not entity-tag syntax is 400.',
    }),
    TaskNotFound(),
    ApiProblem(
      412,
      'If-Match does not match the current ETag (PRECONDITION_FAILED): nothing changed; the ETag header has the current version',
      {
        ETag: {
          description: 'Current version of the task',
          schema: { type: 'string', example: '"4"' },
        },
      },
    ),
  );

/** PUT and PATCH: one behaviour (the fields given only) under two operation ids. */
export const TaskUpdate = (operationId: 'replaceTask' | 'updateTask') =>
  applyDecorators(
    ApiOperation({ summary: 'Update a task (fields given only)', operationId }),
    TaskWrite(),
    TaggedTaskResponse(),
  );
