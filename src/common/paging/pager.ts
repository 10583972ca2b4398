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

/** The Pager of the configured COUNT_LIMIT, over the app's CursorCodec (see PagingModule). */
export const pagerProvider = {
  provide: Pager,
  useFactory: (config: AppConfig, cursors: CursorCodec) => new Pager(cursors, config.countLimit),
  inject: [APP_CONFIG, CursorCodec],
};
