import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { PUBLIC_OPERATION } from '../openapi/openapi-document';

export const IS_PUBLIC = 'isPublic';

/**
 * Opts a route out of the global JwtAuthGuard; the OpenAPI document then lists it with
 * `security: []` (see finishDocument), so the two cannot disagree.
 */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION, true));
