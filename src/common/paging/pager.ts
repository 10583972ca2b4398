import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { CursorCodec } from './cursor';

/**
 * What every paged list shares (see fetchSqlPage): the codec that signs its cursors, and
 * COUNT_LIMIT, how far X-Total-Count counts before it is left out.
 */
export class Pager {
  constructor(
    readonly cursors: CursorCodec,
    readonly countLimit: number,
  ) {}
}

/** Add to a module's providers to inject the Pager of the configured JWT secret and COUNT_LIMIT. */
export const pagerProvider = {
  provide: Pager,
  useFactory: (config: AppConfig) =>
    new Pager(new CursorCodec(config.jwtSecret), config.countLimit),
  inject: [APP_CONFIG],
};
