import { Injectable } from '@nestjs/common';
import { Pager, type Page } from '../common/paging';
import { positionAmong, positionBetween, type Placement, type Siblings } from '../common/positions';
import { conflict, notFound } from '../common/problem';
import { isUniqueViolation } from '../database/database-errors';
import { Sql, type SqlExecutor } from '../database/sql';
import type { CreateListDto, UpdateListDto } from './dto/list.dto';
import { ListsRepository, type ListRecord } from './lists.repository';

export const MAX_LISTS = 500;

export const listNotFound = () => notFound('LIST_NOT_FOUND', 'No such list.');
const nameTaken = () =>
  conflict('LIST_NAME_TAKEN', 'You already have a list with this name (names ignore case).');

/**
 * The owner's lists: names unique per owner ignoring case (the database's unique index is the
 * arbiter), at most 500, one default list that can be renamed but not deleted, manual order.
 */
@Injectable()
export class ListsService {
  constructor(
    private readonly sql: Sql,
    private readonly lists: ListsRepository,
    private readonly pager: Pager,
  ) {}

  page(ownerId: string, query: { limit: number; cursor?: string }): Promise<Page<ListRecord>> {
    return this.lists.page(ownerId, query, this.pager);
  }

  async get(ownerId: string, id: string): Promise<ListRecord> {
    return (await this.lists.find(this.sql, ownerId, id)) ?? throwListNotFound();
  }

  create(ownerId: string, dto: CreateListDto): Promise<ListRecord> {
    return this.write(async (tx) => {
      await this.lists.lockOwnerLists(tx, ownerId);
      if ((await this.lists.count(tx, ownerId)) >= MAX_LISTS)
        throw conflict('LIMIT_REACHED', `You have ${MAX_LISTS} lists, the most there can be.`);
      const last = await this.lists.neighbour(tx, ownerId, '<', null, null);
      const id = await this.lists.insert(tx, {
        ownerId,
        name: dto.name,
        color: dto.color ?? null,
        position: positionBetween(last, null),
      });
      return (await this.lists.find(tx, ownerId, id))!;
    });
  }

  update(ownerId: string, id: string, dto: UpdateListDto): Promise<ListRecord> {
    return this.write(async (tx) => {
      if (!(await this.lists.update(tx, ownerId, id, { name: dto.name, color: dto.color })))
        throw listNotFound();
      return (await this.lists.find(tx, ownerId, id))!;
    });
  }

  /** The list goes; its tasks go to the trash (ListsRepository.delete). */
  async remove(ownerId: string, id: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const list = await this.lists.lockForDelete(tx, ownerId, id);
      if (!list) throw listNotFound();
      if (list.is_default)
        throw conflict('DEFAULT_LIST', 'Your default list can be renamed, not deleted.');
      await this.lists.delete(tx, ownerId, id);
    });
  }

  move(ownerId: string, id: string, placement: Placement): Promise<ListRecord> {
    return this.write(async (tx) => {
      await this.lists.lockOwnerLists(tx, ownerId);
      const current = await this.lists.positionOf(tx, ownerId, id);
      if (current === undefined) throw listNotFound();
      const position = await positionAmong(
        this.siblingsOf(tx, ownerId, id),
        placement,
        (field) => `${field} must be another of your lists`,
      );
      await this.lists.update(tx, ownerId, id, { position });
      return (await this.lists.find(tx, ownerId, id))!;
    });
  }

  /** The owner's other lists, as the placement of `id` among them reads them. */
  private siblingsOf(tx: SqlExecutor, ownerId: string, id: string): Siblings {
    return {
      positionOf: async (other) =>
        other === id ? undefined : this.lists.positionOf(tx, ownerId, other),
      neighbour: (side, from) => this.lists.neighbour(tx, ownerId, side, from, id),
    };
  }

  /** A write in one transaction; the unique index on (owner, lower(name)) answers 409. */
  private async write<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await this.sql.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error, 'lists_user_name_idx')) throw nameTaken();
      throw error;
    }
  }
}

function throwListNotFound(): never {
  throw listNotFound();
}
