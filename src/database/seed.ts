import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PasswordHasher } from '../auth/password-hasher';

/** Every demo account signs in with this password. */
export const DEMO_PASSWORD = 'demo-password-123';

interface DemoTask {
  title: string;
  description: string;
  priority: 'low' | 'medium' | 'high';
  /** Days from the seeding day; the time of day is fixed so reruns compute the same value. */
  dueInDays: number;
  tags: string[];
  completed: boolean;
}

const DEMO_USERS: { email: string; name: string; role: 'user' | 'admin'; tasks: DemoTask[] }[] = [
  {
    email: 'admin@example.com',
    name: 'Ada Admin',
    role: 'admin',
    tasks: [
      {
        title: 'Review new sign-ups',
        description: 'Check the accounts created this week and ban the obvious spam.',
        priority: 'medium',
        dueInDays: 2,
        tags: ['admin', 'weekly'],
        completed: false,
      },
    ],
  },
  {
    email: 'alice@example.com',
    name: 'Alice Example',
    role: 'user',
    tasks: [
      {
        title: 'Write the quarterly report',
        description: 'Numbers from finance, charts from the dashboard, one page of summary.',
        priority: 'high',
        dueInDays: 3,
        tags: ['work', 'writing'],
        completed: false,
      },
      {
        title: 'Book the dentist',
        description: 'Any morning next week.',
        priority: 'medium',
        dueInDays: 7,
        tags: ['personal', 'health'],
        completed: false,
      },
      {
        title: 'Renew the passport',
        description: 'Photos taken, form filled in and posted.',
        priority: 'low',
        dueInDays: -5,
        tags: ['personal'],
        completed: true,
      },
    ],
  },
  {
    email: 'bob@example.com',
    name: 'Bob Example',
    role: 'user',
    tasks: [
      {
        title: 'Fix the flaky login test',
        description: 'It fails about once in twenty runs on CI; look at the clock handling.',
        priority: 'high',
        dueInDays: 1,
        tags: ['work', 'bug'],
        completed: false,
      },
      {
        title: 'Plan the team lunch',
        description: 'Somewhere with vegetarian options, for eight people.',
        priority: 'low',
        dueInDays: 10,
        tags: ['team'],
        completed: false,
      },
    ],
  },
];

/** The same UUID for the same demo item on every run, so reruns insert nothing new. */
function stableId(key: string): string {
  const hex = createHash('sha256').update(`task-api-demo:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function dueDate(days: number): Date {
  const date = new Date();
  date.setUTCHours(17, 0, 0, 0);
  date.setUTCDate(date.getUTCDate() + days);
  return date;
}

/**
 * A few demo users (one admin) and tasks with every field set. Idempotent: existing accounts and
 * tasks are left exactly as they are, so running it twice changes nothing.
 */
export async function seedDemoData(
  dataSource: DataSource,
): Promise<{ usersCreated: number; tasksCreated: number }> {
  const hasher = new PasswordHasher();
  let usersCreated = 0;
  let tasksCreated = 0;
  for (const demo of DEMO_USERS) {
    await dataSource.transaction(async (db) => {
      const inserted: { id: string }[] = await db.query(
        `INSERT INTO users (id, email, password_hash, name, role)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`,
        [stableId(demo.email), demo.email, await hasher.hash(DEMO_PASSWORD), demo.name, demo.role],
      );
      usersCreated += inserted.length;
      // Tasks go only to an account the seed created, never into someone's real one.
      const [owner]: { id: string }[] = await db.query(
        'SELECT id FROM users WHERE lower(email) = $1 AND id = $2',
        [demo.email, stableId(demo.email)],
      );
      if (!owner) return;
      for (const [index, task] of demo.tasks.entries()) {
        const due = dueDate(task.dueInDays);
        const rows: unknown[] = await db.query(
          // In the account's Inbox, in the demo's order ('a0', 'a1', ...: fractional-indexing keys).
          `INSERT INTO tasks (id, user_id, title, description, priority, due_date, tags, completed,
                              completed_at, list_id, position)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, l.id, $10
             FROM lists l WHERE l.user_id = $2 AND l.is_default
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            stableId(`${demo.email}:${index}`),
            owner.id,
            task.title,
            task.description,
            task.priority,
            due,
            task.tags,
            task.completed,
            task.completed ? due : null,
            `a${index}`,
          ],
        );
        tasksCreated += rows.length;
      }
    });
  }
  return { usersCreated, tasksCreated };
}

export const DEMO_EMAILS = DEMO_USERS.map((user) => user.email);
