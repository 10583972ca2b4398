import { Global, Module } from '@nestjs/common';
import { CursorCodec, cursorCodecProvider } from './cursor';
import { Pager, pagerProvider } from './pager';

/**
 * The pieces every paged list shares, made once for the whole app (global, as ConfigModule is):
 * a repository injects the Pager or the CursorCodec without its module listing them. Listed per
 * module they were made once per module, and a module that forgot (ExternalAuthModule, once) kept
 * the app from booting.
 */
@Global()
@Module({ providers: [cursorCodecProvider, pagerProvider], exports: [CursorCodec, Pager] })
export class PagingModule {}
