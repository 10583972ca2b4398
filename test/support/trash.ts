import type { Registered } from './builders';
import { allPages } from './paging';
import type { TestApp } from './test-app';

/** The trash routes of issue 15, as `user`, on `/api/me` unless `base` says otherwise. */

/** DELETE of a task (to the trash): 204. */
export async function trashTask(t: TestApp, user: Registered, id: string): Promise<void> {
  await t.http().delete(`/api/me/tasks/${id}`).set(user.auth).expect(204);
}

/** Every TrashedTask of the user, following the pages (most recently deleted first). */
export async function trashOf(t: TestApp, user: Registered, query = '?limit=100'): Promise<any[]> {
  return (await allPages(t, user.auth, `/api/me/trash${query}`)).rows;
}

/** The ids in the user's trash, in its order. */
export const trashIds = async (t: TestApp, user: Registered) =>
  (await trashOf(t, user)).map((task) => task.id as string);

/** POST /trash/{id}/restore. */
export const restoreTask = (t: TestApp, user: Registered, id: string, base = '/api/me') =>
  t.http().post(`${base}/trash/${id}/restore`).set(user.auth);

/** DELETE /trash/{id}: deleted for good. */
export const deleteForGood = (t: TestApp, user: Registered, id: string, base = '/api/me') =>
  t.http().delete(`${base}/trash/${id}`).set(user.auth);

/** DELETE /trash: empties it. */
export const emptyTrash = (t: TestApp, user: Registered, base = '/api/me') =>
  t.http().delete(`${base}/trash`).set(user.auth);
