import { generateKeyBetween } from 'fractional-indexing';
import { validationFailed } from './problem';

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

/** The item's future siblings, as the placement reads them (under the caller's lock). */
export interface Siblings {
  /** A sibling's position, undefined when `id` is not one of them (or is the item itself). */
  positionOf(id: string): Promise<string | undefined>;
  /** The nearest sibling position before (`<`) or after (`>`) `from` (from the end when null). */
  neighbour(side: '<' | '>', from: string | null): Promise<string | null>;
}

/**
 * The position an item gets next to the anchor sibling `before` or `after`, or after the last
 * sibling. `notASibling` words the 400 for an anchor that is not one of them.
 */
export async function positionAmong(
  siblings: Siblings,
  { before, after }: Placement,
  notASibling: (field: 'before' | 'after') => string,
): Promise<string> {
  if (before !== undefined && after !== undefined)
    throw validationFailed([{ field: 'after', message: 'give before or after, not both' }]);
  const anchorId = before ?? after;
  if (anchorId === undefined) return positionBetween(await siblings.neighbour('<', null), null);
  const field = before !== undefined ? 'before' : 'after';
  const anchor = await siblings.positionOf(anchorId);
  if (anchor === undefined) throw validationFailed([{ field, message: notASibling(field) }]);
  const side = before !== undefined ? '<' : '>';
  const other = await siblings.neighbour(side, anchor);
  return side === '<' ? positionBetween(other, anchor) : positionBetween(anchor, other);
}
