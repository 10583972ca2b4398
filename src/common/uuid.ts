import { Param, ParseUUIDPipe } from '@nestjs/common';
import { validationFailed } from './problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string =>
  typeof value === 'string' && UUID.test(value);

/** A path id that is not a UUID is a 400 naming the parameter, never a database error. */
export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => validationFailed([{ field: name, message: `${name} must be a UUID` }]),
  });

/** The path parameter `name`, which must be a UUID (see uuidParam). */
export const UuidParam = (name = 'id') => Param(name, uuidParam(name));
