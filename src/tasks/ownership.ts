/**
 * Whether the `{user_id}` of a path names the caller. `me` always does; anything else must be
 * the caller's own id (admins included: oversight goes through /api/admin).
 */
export function pathNamesCaller(pathUserId: string | undefined, callerId: string): boolean {
  return (
    pathUserId === 'me' ||
    (pathUserId !== undefined && pathUserId.toLowerCase() === callerId.toLowerCase())
  );
}
