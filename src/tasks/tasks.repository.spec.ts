import { likePattern } from '../common/paging';
import { TASK_SORT_SPECS, taskFilters } from './tasks.repository';

describe('likePattern', () => {
  it.each([
    ['report', '%report%'],
    ['100%', '%100\\%%'],
    ['a_b', '%a\\_b%'],
    ['back\\slash', '%back\\\\slash%'],
  ])('%s is matched literally', (text, pattern) => expect(likePattern(text)).toBe(pattern));
});

describe('taskFilters', () => {
  it('no filter for the defaults', () => {
    expect(taskFilters({ status: 'all' })).toEqual([]);
    expect(taskFilters({ status: 'all', q: '' })).toEqual([]);
  });

  it('one condition per filter, combined', () => {
    const before = new Date('2026-12-08T00:00:00Z');
    const after = new Date('2026-12-01T00:00:00Z');
    const conditions = taskFilters({
      status: 'pending',
      q: '50%',
      priority: 'high',
      tag: 'work',
      due_before: before,
      due_after: after,
    });
    expect(conditions).toEqual([
      { sql: 'task.completed = :completed', params: { completed: false } },
      {
        sql: "(task.title ILIKE :q ESCAPE '\\' OR task.description ILIKE :q ESCAPE '\\')",
        params: { q: '%50\\%%' },
      },
      { sql: 'task.priority = :priority', params: { priority: 'high' } },
      { sql: 'task.tags @> ARRAY[:tag]::text[]', params: { tag: 'work' } },
      {
        sql: "COALESCE(task.due_date, 'infinity') < :dueBefore",
        params: { dueBefore: before },
      },
      {
        sql: "COALESCE(task.due_date, '-infinity') >= :dueAfter",
        params: { dueAfter: after },
      },
    ]);
    expect(taskFilters({ status: 'completed' })[0].params).toEqual({ completed: true });
  });
});

describe('TASK_SORT_SPECS', () => {
  it('every sort ends with the id and only due_date may be NULL', () => {
    for (const spec of Object.values(TASK_SORT_SPECS)) {
      expect(spec.keys.at(-1)).toEqual({ sql: 'task.id' });
      expect(spec.keys.some((key) => key.nullable)).toBe(spec.name === 'tasks:due_date');
    }
    expect(TASK_SORT_SPECS.title.keys[0].sql).toBe('lower(task.title)');
  });
});
