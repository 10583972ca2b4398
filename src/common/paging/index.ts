export * from './cursor';
export * from './keyset';
export * from './page-headers';
export * from './page.query';
export * from './like-pattern';
export * from './pager';
export * from './paging.module';
