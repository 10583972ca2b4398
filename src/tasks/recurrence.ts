import { RRuleTemporal } from 'rrule-temporal';
import { Temporal } from 'temporal-polyfill';

/**
 * Recurring tasks: the contract's subset of RFC 5545 RRULE, validated here and expanded by
 * rrule-temporal in the task's IANA time zone, so "every Monday at 09:00 Europe/Berlin" stays at
 * 09:00 there across daylight-saving changes. The rule's DTSTART is the task's
 * `recurrence_start` (its due date when the rule was set): COUNT counts from there while
 * `due_date` moves from occurrence to occurrence.
 */

export const RECURRENCE_MAX_LENGTH = 500;
const FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const WEEKDAY = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/;

/** A rule part's check: undefined when the value is valid, else what is wrong with it. */
const PART_CHECKS: Record<string, (value: string, freq: string) => string | undefined> = {
  FREQ: (value) =>
    FREQUENCIES.includes(value) ? undefined : 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY',
  INTERVAL: (value) => integerIn(value, 1, 1000, 'INTERVAL'),
  COUNT: (value) => integerIn(value, 1, 1000, 'COUNT'),
  UNTIL: (value) =>
    /^\d{8}(T\d{6}Z)?$/.test(value) && untilDate(value) !== undefined
      ? undefined
      : 'UNTIL must be a date (20261231) or a UTC date-time (20261231T235959Z)',
  BYDAY: (value, freq) => {
    for (const day of value.split(',')) {
      const match = WEEKDAY.exec(day);
      if (!match) return `BYDAY has an invalid weekday "${day}"`;
      if (match[1] !== undefined) {
        if (!['MONTHLY', 'YEARLY'].includes(freq))
          return 'BYDAY with an ordinal (1MO, -1FR) needs FREQ=MONTHLY or YEARLY';
        const ordinal = Math.abs(Number(match[1]));
        if (ordinal < 1 || ordinal > 53) return `BYDAY has an invalid ordinal "${day}"`;
      }
    }
    return undefined;
  },
  BYMONTHDAY: (value) => integerList(value, 31, 'BYMONTHDAY'),
  BYMONTH: (value) =>
    value.split(',').every((month) => integerIn(month, 1, 12, 'BYMONTH') === undefined)
      ? undefined
      : 'BYMONTH takes months 1 to 12',
  BYSETPOS: (value) => integerList(value, 366, 'BYSETPOS'),
};

/**
 * The rule as stored (`FREQ=WEEKLY;BYDAY=MO,TH`, upper case, without a leading `RRULE:`), or the
 * reason it is refused.
 */
export function parseRecurrence(input: string): { rule: string } | { error: string } {
  if (input.length > RECURRENCE_MAX_LENGTH)
    return { error: `recurrence must be at most ${RECURRENCE_MAX_LENGTH} characters` };
  const text = input
    .trim()
    .toUpperCase()
    .replace(/^RRULE:/, '');
  if (text === '') return { error: 'recurrence must be an RRULE such as FREQ=WEEKLY;BYDAY=MO' };
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const [name, value, extra] = part.split('=');
    if (!name || value === undefined || value === '' || extra !== undefined)
      return { error: `recurrence has a malformed part "${part}"` };
    if (!(name in PART_CHECKS))
      return {
        error: `recurrence part ${name} is not supported (use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT or UNTIL)`,
      };
    if (parts.has(name)) return { error: `recurrence has ${name} twice` };
    parts.set(name, value);
  }
  const freq = parts.get('FREQ');
  if (freq === undefined) return { error: 'recurrence needs FREQ' };
  if (parts.has('COUNT') && parts.has('UNTIL'))
    return { error: 'recurrence may have COUNT or UNTIL, not both' };
  for (const [name, value] of parts) {
    const problem = PART_CHECKS[name](value, freq);
    if (problem) return { error: problem };
  }
  if (parts.has('BYSETPOS') && !['BYDAY', 'BYMONTHDAY', 'BYMONTH'].some((by) => parts.has(by)))
    return { error: 'BYSETPOS needs another BY part (BYDAY, BYMONTHDAY or BYMONTH)' };
  const rule = [...parts].map(([name, value]) => `${name}=${value}`).join(';');
  try {
    expander(rule, 'UTC', new Date(0));
  } catch (error) {
    return { error: `recurrence is not a valid RRULE (${(error as Error).message})` };
  }
  return { rule };
}

/** The IANA zone's canonical spelling (`europe/berlin` is `Europe/Berlin`), or undefined. */
export function canonicalTimeZone(zone: string): string | undefined {
  // A fixed offset (+02:00) is no zone: it cannot keep "09:00 there" across daylight saving.
  if (zone.length === 0 || zone.length > 64 || !/^[A-Za-z]/.test(zone)) return undefined;
  try {
    return Temporal.Now.zonedDateTimeISO(zone).timeZoneId;
  } catch {
    return undefined;
  }
}

/**
 * The rule's first occurrence strictly after `after`, or null when the rule has ended (COUNT or
 * UNTIL reached). `start` is the rule's DTSTART; its wall-clock time in `timeZone` is kept.
 */
export function nextOccurrence(
  rule: string,
  timeZone: string,
  start: Date,
  after: Date,
): Date | null {
  const next = expander(rule, timeZone, start).next(zoned(after, timeZone), false);
  return next ? new Date(next.epochMilliseconds) : null;
}

function expander(rule: string, timeZone: string, start: Date) {
  return new RRuleTemporal({
    rruleString: rule,
    dtstart: zoned(start, timeZone),
    tzid: timeZone,
    temporal: Temporal,
  });
}

const zoned = (date: Date, timeZone: string) =>
  Temporal.Instant.fromEpochMilliseconds(date.getTime()).toZonedDateTimeISO(timeZone);

function integerIn(value: string, min: number, max: number, name: string): string | undefined {
  return /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
    ? undefined
    : `${name} must be a whole number from ${min} to ${max}`;
}

function integerList(value: string, max: number, name: string): string | undefined {
  for (const item of value.split(',')) {
    const n = Number(item);
    if (!/^[+-]?\d+$/.test(item) || n === 0 || Math.abs(n) > max)
      return `${name} takes numbers from 1 to ${max} or -${max} to -1`;
  }
  return undefined;
}

function untilDate(value: string): Date | undefined {
  const [, y, m, d, hh = '23', mm = '59', ss = '59'] =
    /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(value) ?? [];
  const date = new Date(`${y}-${m}-${d}T${hh}:${mm}:${ss}Z`);
  return Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(d) ? undefined : date;
}
