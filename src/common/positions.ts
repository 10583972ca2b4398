import { generateKeyBetween } from 'fractional-indexing';

/**
 * Manual order (tasks among their siblings, a user's lists) as fractional-indexing keys: strings
 * whose byte order (COLLATE "C" in the database) is the order. A move writes one new key between
 * its neighbours' and never renumbers anything. Callers hold a lock on the sibling set while they
 * read the neighbours and write the key, so two moves into one gap get two distinct keys.
 */
export const positionBetween = (before: string | null, after: string | null): string =>
  generateKeyBetween(before, after);

/** Where a move puts the item: next to a sibling (by id), or last when neither is given. */
export interface Placement {
  before?: string;
  after?: string;
}
