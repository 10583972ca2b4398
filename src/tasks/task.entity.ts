import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type Priority = 'low' | 'medium' | 'high';
export const PRIORITIES: readonly Priority[] = ['low', 'medium', 'high'];

@Entity('tasks')
export class Task {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** NOT NULL, foreign key to users(id) ON DELETE CASCADE (see the Init migration). */
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** NOT NULL; with user_id a foreign key to lists (id, user_id): always one of the owner's lists. */
  @Column({ name: 'list_id', type: 'uuid' })
  listId: string;

  /** A subtask's parent: with user_id and list_id a foreign key, so same owner and same list. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  /** Manual order among the siblings (same list, same parent): a fractional-indexing key. */
  @Column({ type: 'text', collation: 'C' })
  position: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'boolean', default: false })
  completed: boolean;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ type: 'text', default: 'medium' })
  priority: Priority;

  @Column({ name: 'due_date', type: 'timestamptz', nullable: true })
  dueDate: Date | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  /** An RRULE (tasks/recurrence.ts); needs a due date (CHECK constraint). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  recurrence: string | null;

  /** The rule's DTSTART: the due date when the rule or the due date was last set. */
  @Column({ name: 'recurrence_start', type: 'timestamptz', nullable: true })
  recurrenceStart: Date | null;

  /** The IANA zone the recurrence is expanded in. */
  @Column({ type: 'varchar', length: 64, default: 'UTC' })
  timezone: string;

  /** Bumped by every write; the ETag. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
