import { Injectable } from '@nestjs/common';
import { preconditionFailed, type VersionPrecondition } from '../common/if-match';
import type { Page } from '../common/paging';
import { positionAmong } from '../common/positions';
import { conflict, notFound, validationFailed } from '../common/problem';
import { Sql, type SqlExecutor } from '../database/sql';
import { CreateTaskDto, ListTasksQuery, MoveTaskDto, UpdateTaskDto } from './dto/task.dto';
import { nextOccurrence } from './recurrence';
import { etagOf } from './task.mapper';
import { Task } from './task.entity';
import {
  TasksRepository,
  type Completion,
  type Placement,
  type TaskChanges,
} from './tasks.repository';

export const taskNotFound = () => notFound('TASK_NOT_FOUND', 'No such task.');

const invalid = (field: string, message: string) => validationFailed([{ field, message }]);

/** Where a task is asked to go: undefined keeps the current value. */
interface Destination {
  listId?: string;
  parentId?: string | null;
  before?: string;
  after?: string;
}

/** How often a write that lost a race to a concurrent one is tried again before giving up. */
const ATTEMPTS = 3;

/**
 * Thrown inside a transaction whose conditional write found the task at another version than it
 * read (a concurrent write came first): the transaction is rolled back and tried again.
 */
class LostRace extends Error {}

/**
 * The owner's tasks. The repository filters every query by the owner id, so another user's task
 * is indistinguishable from a missing one (404), whatever the layers above decided.
 *
 * Lists, subtasks and manual order: a task's list is always one of its owner's (a foreign key),
 * a subtask is in its parent's list (a foreign key), one level only (checked here under the
 * list's lock). Every change of positions or parent links in a list holds that list's row lock
 * (TasksRepository.lockLists) while it reads the neighbours and writes: two moves into one gap
 * queue, and the second sees the first's key, so positions stay distinct without renumbering.
 */
@Injectable()
export class TasksService {
  constructor(
    private readonly tasks: TasksRepository,
    private readonly sql: Sql,
  ) {}

  /** One page of the owner's tasks matching the filters (keyset paging, see common/paging). */
  list(ownerId: string, query: ListTasksQuery): Promise<Page<Task>> {
    return this.tasks.page(`/api/${ownerId}/tasks`, ownerId, query);
  }

  async get(ownerId: string, id: string): Promise<Task> {
    const task = await this.tasks.findOne(ownerId, id);
    if (!task) throw taskNotFound();
    return task;
  }

  /** A new task, last among its siblings. `db`: inside a caller's transaction (Idempotency-Key). */
  create(ownerId: string, dto: CreateTaskDto, db?: SqlExecutor): Promise<Task> {
    if (dto.recurrence && !dto.due_date) throw recurrenceNeedsDue();
    const work = async (tx: SqlExecutor) => {
      const placement = await this.placementFor(tx, ownerId, undefined, {
        listId: dto.list_id,
        parentId: dto.parent_id ?? null,
      });
      return this.tasks.insert(
        ownerId,
        {
          ...placement,
          title: dto.title,
          description: dto.description ?? null,
          completed: dto.completed ?? false,
          priority: dto.priority ?? 'medium',
          dueDate: dto.due_date ?? null,
          tags: dto.tags ?? [],
          recurrence: dto.recurrence ?? null,
          timezone: dto.timezone ?? 'UTC',
        },
        tx,
      );
    };
    return db ? work(db) : this.sql.transaction(work);
  }

  /**
   * Applies the given fields. Plain field changes are one conditional UPDATE (the owner check,
   * the If-Match check and the write are atomic); a change of list or parent, or completing a
   * recurring task, is one transaction.
   */
  async update(
    ownerId: string,
    id: string,
    dto: UpdateTaskDto,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    const changes: TaskChanges = {
      title: dto.title,
      description: dto.description,
      completed: dto.completed,
      priority: dto.priority,
      dueDate: dto.due_date,
      tags: dto.tags,
      recurrence: dto.recurrence,
      timezone: dto.timezone,
    };
    const moves = dto.list_id !== undefined || dto.parent_id !== undefined;
    if (moves || dto.completed === true) {
      return this.retrying(expected, async (tx) => {
        let task = await this.current(tx, ownerId, id, expected);
        if (moves) {
          const to = await this.placementFor(tx, ownerId, task, {
            listId: dto.list_id,
            parentId: dto.parent_id,
          });
          task = won(await this.tasks.place(tx, task, to, [task.version]));
        }
        // Completing a pending recurring task completes its current occurrence instead.
        const occurs = dto.completed === true && task.recurrence !== null && !task.completed;
        const fields = { ...changes, completed: occurs ? undefined : changes.completed };
        if (hasChanges(fields))
          task = won(await this.writeFields(tx, ownerId, id, fields, [task.version]));
        return occurs ? this.completeOccurrence(tx, task) : task;
      });
    }
    if (!hasChanges(changes)) {
      const task = await this.get(ownerId, id);
      if (Array.isArray(expected) && !expected.includes(task.version)) {
        throw preconditionFailed(etagOf(task));
      }
      return task;
    }
    const task = await this.writeFields(this.sql, ownerId, id, changes, expected);
    if (!task) throw await this.missingOrStale(ownerId, id);
    return task;
  }

  /**
   * Flips `completed`, or sets it when a value is given (then a retry changes nothing more). On a
   * pending recurring task, completing records the occurrence and moves to the next one.
   */
  async setCompleted(
    ownerId: string,
    id: string,
    completed?: boolean,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    if (completed !== undefined) return this.update(ownerId, id, { completed }, expected);
    const toggled = await this.tasks.toggleCompleted(ownerId, id, expected);
    if (toggled) return toggled;
    const task = await this.tasks.findOne(ownerId, id);
    if (task?.recurrence && !task.completed && versionMatches(task, expected)) {
      return this.retrying(expected, async (tx) =>
        this.completeOccurrence(tx, await this.current(tx, ownerId, id, expected)),
      );
    }
    throw await this.missingOrStale(ownerId, id);
  }

  /** Into another list and/or under another parent, next to a sibling or last. */
  move(
    ownerId: string,
    id: string,
    dto: MoveTaskDto,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    return this.retrying(expected, async (tx) => {
      const task = await this.current(tx, ownerId, id, expected);
      const to = await this.placementFor(
        tx,
        ownerId,
        task,
        { listId: dto.list_id, parentId: dto.parent_id, before: dto.before, after: dto.after },
        { last: true },
      );
      return won(await this.tasks.place(tx, task, to, [task.version]));
    });
  }

  /** A recurring task's completed occurrences, newest first. */
  async completions(
    ownerId: string,
    id: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Completion>> {
    await this.get(ownerId, id);
    return this.tasks.completions(ownerId, id, query);
  }

  /**
   * To the trash, with its subtasks, under its list's lock (so no subtask can be added to it
   * meanwhile). The If-Match check is part of the write: a stale version trashes nothing.
   */
  async remove(ownerId: string, id: string, expected?: VersionPrecondition): Promise<void> {
    await this.retrying(expected, async (tx) => {
      const task = await this.current(tx, ownerId, id, expected);
      await this.tasks.lockLists(tx, ownerId, [task.listId]);
      if (!(await this.tasks.trash(tx, ownerId, id, [task.version]))) throw new LostRace();
    });
  }

  /** "Clear completed": how many completed tasks went to the trash (with their subtasks). */
  clearCompleted(ownerId: string): Promise<number> {
    return this.sql.transaction(async (tx) => {
      await this.tasks.lockAllLists(tx, ownerId);
      return this.tasks.trashCompleted(tx, ownerId);
    });
  }

  /**
   * The list, parent and position a task gets, checked under the lock of the lists involved.
   * `last`: a move without an anchor goes last even among the same siblings; a PATCH that names
   * the task's own list or parent keeps its place.
   */
  private async placementFor(
    tx: SqlExecutor,
    ownerId: string,
    task: Task | undefined,
    to: Destination,
    { last = false } = {},
  ): Promise<Placement> {
    for (let attempt = 1; ; attempt++) {
      const parentId = to.parentId !== undefined ? to.parentId : (task?.parentId ?? null);
      const parent = parentId ? await this.parentFor(tx, ownerId, task, parentId) : undefined;
      const listId =
        parent?.listId ??
        to.listId ??
        task?.listId ??
        (await this.tasks.defaultListId(tx, ownerId));
      if (parent && to.listId !== undefined && to.listId !== parent.listId)
        throw invalid('list_id', 'a subtask is in its parent’s list: give that list, or none');
      if (!parent && task?.parentId && to.parentId === undefined && listId !== task.listId)
        throw invalid('list_id', 'a subtask is in its parent’s list: move it with parent_id');
      const lists = [...new Set([listId, ...(task ? [task.listId] : [])])];
      const locked = await this.tasks.lockLists(tx, ownerId, lists);
      if (!locked.includes(listId)) {
        if (to.listId !== undefined) throw invalid('list_id', 'list_id must be one of your lists');
        // A list the caller did not name went meanwhile (deleted, its tasks to the trash): the
        // task's own (tried again, the task is found in the trash: 404), or the parent's.
        if (task) throw new LostRace();
        throw invalid('parent_id', 'parent_id must be one of your top-level tasks');
      }
      // The parent as it is now that its list is locked: it may have moved or gained a parent.
      if (parentId) {
        const now = await this.parentFor(tx, ownerId, task, parentId);
        if (now.listId !== listId) {
          if (attempt < ATTEMPTS) continue;
          throw conflict('CONFLICT', 'The parent task is being moved: retry.');
        }
        if (task && (await this.tasks.hasSubtasks(tx, task.id)))
          throw invalid('parent_id', 'this task has subtasks of its own: one level only');
      }
      const siblings = { listId, parentId };
      const unchanged = task && task.listId === listId && task.parentId === parentId;
      if (unchanged && !last && !to.before && !to.after)
        return { ...siblings, position: task.position };
      const except = task?.id ?? null;
      const position = await positionAmong(
        {
          positionOf: async (id) =>
            id === except ? undefined : this.tasks.siblingPosition(tx, siblings, id),
          neighbour: (side, from) => this.tasks.neighbourPosition(tx, siblings, side, from, except),
        },
        to,
        (field) => `${field} must be the id of another task among the new siblings`,
      );
      return { ...siblings, position };
    }
  }

  /** The parent a task may have: one of the owner's top-level tasks, other than itself. */
  private async parentFor(
    tx: SqlExecutor,
    ownerId: string,
    task: Task | undefined,
    parentId: string,
  ): Promise<Task> {
    if (parentId === task?.id) throw invalid('parent_id', 'a task cannot be its own parent');
    const parent = await this.tasks.findIn(tx, ownerId, parentId);
    if (!parent) throw invalid('parent_id', 'parent_id must be one of your top-level tasks');
    if (parent.parentId !== null)
      throw invalid('parent_id', 'parent_id is a subtask: subtasks have no subtasks');
    return parent;
  }

  /**
   * The task read inside a write's transaction, after its If-Match check. Not locked: the lists'
   * locks come first (one order, no deadlock), and the writes are conditional on this version.
   */
  private async current(
    tx: SqlExecutor,
    ownerId: string,
    id: string,
    expected: VersionPrecondition,
  ): Promise<Task> {
    const task = await this.tasks.findIn(tx, ownerId, id);
    if (!task) throw taskNotFound();
    if (!versionMatches(task, expected)) throw preconditionFailed(etagOf(task));
    return task;
  }

  /**
   * Records the occurrence due and moves the task to the rule's next occurrence after both its
   * due date and now (missed ones are skipped); when the rule has ended, completes it for good.
   */
  private async completeOccurrence(tx: SqlExecutor, task: Task): Promise<Task> {
    const due = task.dueDate!;
    const after = new Date(Math.max(due.getTime(), Date.now()));
    const next = nextOccurrence(
      task.recurrence!,
      task.timezone,
      task.recurrenceStart ?? due,
      after,
    );
    return won(await this.tasks.completeOccurrence(tx, task, next));
  }

  /** A transaction tried again (up to ATTEMPTS) when it lost a race; If-Match turns that into 412. */
  private async retrying<T>(
    expected: VersionPrecondition,
    work: (tx: SqlExecutor) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sql.transaction(work);
      } catch (error) {
        if (!(error instanceof LostRace)) throw error;
        if (Array.isArray(expected)) throw preconditionFailed();
        if (attempt >= ATTEMPTS)
          throw conflict('CONFLICT', 'The task is being changed by another request: retry.');
      }
    }
  }

  /** The fields' UPDATE; a rule left without a due date (the CHECK constraint) is a 400. */
  private async writeFields(
    db: SqlExecutor,
    ownerId: string,
    id: string,
    changes: TaskChanges,
    expected: VersionPrecondition,
  ): Promise<Task | undefined> {
    try {
      return await this.tasks.update(ownerId, id, changes, expected, db);
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'tasks_recurrence_needs_due')
        throw recurrenceNeedsDue();
      throw error;
    }
  }

  /** After a write that matched no row: 412 when the task is there (its version moved on), else 404. */
  private async missingOrStale(ownerId: string, id: string) {
    const version = await this.tasks.versionOf(ownerId, id);
    return version === undefined ? taskNotFound() : preconditionFailed(etagOf({ version }));
  }
}

const recurrenceNeedsDue = () =>
  invalid('recurrence', 'a recurring task needs a due_date (its first occurrence)');

const hasChanges = (changes: TaskChanges) =>
  Object.values(changes).some((value) => value !== undefined);

/** The task a write conditional on the version read returned, or the race was lost. */
function won(task: Task | undefined): Task {
  if (!task) throw new LostRace();
  return task;
}

const versionMatches = (task: Task, expected: VersionPrecondition) =>
  !Array.isArray(expected) || expected.includes(task.version);
