import { canonicalTimeZone, nextOccurrence, parseRecurrence } from './recurrence';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('parseRecurrence', () => {
  it.each([
    ['FREQ=WEEKLY;BYDAY=MO,TH', 'FREQ=WEEKLY;BYDAY=MO,TH'],
    ['RRULE:FREQ=DAILY;INTERVAL=2', 'FREQ=DAILY;INTERVAL=2'],
    ['rrule:freq=monthly;bymonthday=-1', 'FREQ=MONTHLY;BYMONTHDAY=-1'],
    [
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
    ],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3'],
    ['FREQ=WEEKLY;UNTIL=20261231T235959Z', 'FREQ=WEEKLY;UNTIL=20261231T235959Z'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;BYDAY=-1FR'],
  ])('%p is stored as %p', (input, rule) => {
    expect(parseRecurrence(input)).toEqual({ rule });
  });

  it.each([
    ['FREQ=HOURLY', /FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY/],
    ['FREQ=MINUTELY', /FREQ must be/],
    ['BYDAY=MO', /needs FREQ/],
    ['FREQ=DAILY;COUNT=2;UNTIL=20260101', /COUNT or UNTIL, not both/],
    ['FREQ=DAILY;COUNT=0', /COUNT must be a whole number/],
    ['FREQ=DAILY;INTERVAL=-1', /INTERVAL must be a whole number/],
    ['FREQ=WEEKLY;BYDAY=XX', /invalid weekday "XX"/],
    ['FREQ=WEEKLY;BYDAY=1MO', /ordinal/],
    ['FREQ=MONTHLY;BYMONTHDAY=0', /BYMONTHDAY takes/],
    ['FREQ=MONTHLY;BYMONTHDAY=32', /BYMONTHDAY takes/],
    ['FREQ=YEARLY;BYMONTH=13', /BYMONTH takes months/],
    ['FREQ=MONTHLY;BYSETPOS=1', /BYSETPOS needs another BY part/],
    ['FREQ=DAILY;UNTIL=20260230', /UNTIL must be/],
    ['FREQ=DAILY;BYHOUR=9', /BYHOUR is not supported/],
    ['FREQ=DAILY;FREQ=WEEKLY', /FREQ twice/],
    ['FREQ=DAILY;;', /malformed part/],
    ['FREQ', /malformed part/],
    ['', /must be an RRULE/],
    ['FREQ=DAILY;X-NAME=1', /not supported/],
    [`FREQ=DAILY;BYMONTHDAY=${'1,'.repeat(260)}1`, /at most 500 characters/],
  ])('%p is refused', (input, message) => {
    const result = parseRecurrence(input);
    expect(result).toEqual({ error: expect.stringMatching(message) });
  });
});

describe('canonicalTimeZone', () => {
  it('accepts IANA zones in their canonical spelling', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('America/Argentina/Buenos_Aires')).toBe(
      'America/Argentina/Buenos_Aires',
    );
  });
  it.each(['Mars/Olympus', '', 'Europe/Berlin ', 'x'.repeat(65), '+25:00', '+02:00', '-05:00'])(
    'refuses %p',
    (zone) => expect(canonicalTimeZone(zone)).toBeUndefined(),
  );
});

describe('nextOccurrence', () => {
  it('keeps 09:00 in Europe/Berlin across the change to summer time', () => {
    // Monday 2026-03-23 09:00 CET (08:00Z); clocks go forward on Sunday 2026-03-29.
    const start = at('2026-03-23T08:00:00Z');
    const next = nextOccurrence('FREQ=WEEKLY;BYDAY=MO', 'Europe/Berlin', start, start);
    expect(iso(next)).toBe('2026-03-30T07:00:00.000Z'); // 09:00 CEST
    const after = nextOccurrence('FREQ=WEEKLY;BYDAY=MO', 'Europe/Berlin', start, next!);
    expect(iso(after)).toBe('2026-04-06T07:00:00.000Z');
  });

  it('keeps 09:00 in Europe/Berlin across the change back to winter time', () => {
    const start = at('2026-10-19T07:00:00Z'); // Monday 09:00 CEST; back on Sunday 2026-10-25
    expect(iso(nextOccurrence('FREQ=WEEKLY;BYDAY=MO', 'Europe/Berlin', start, start))).toBe(
      '2026-10-26T08:00:00.000Z', // 09:00 CET
    );
  });

  it('BYMONTHDAY=-1 is the last day of each month, February included', () => {
    const start = at('2027-01-31T12:00:00Z');
    const feb = nextOccurrence('FREQ=MONTHLY;BYMONTHDAY=-1', 'UTC', start, start);
    expect(iso(feb)).toBe('2027-02-28T12:00:00.000Z');
    const march = nextOccurrence('FREQ=MONTHLY;BYMONTHDAY=-1', 'UTC', start, feb!);
    expect(iso(march)).toBe('2027-03-31T12:00:00.000Z');
    const leap = at('2028-01-31T12:00:00Z');
    expect(iso(nextOccurrence('FREQ=MONTHLY;BYMONTHDAY=-1', 'UTC', leap, leap))).toBe(
      '2028-02-29T12:00:00.000Z',
    );
  });

  it('COUNT counts from the rule start: the third of COUNT=3 has no next', () => {
    const start = at('2026-12-01T09:00:00Z');
    const second = nextOccurrence('FREQ=DAILY;COUNT=3', 'UTC', start, start);
    const third = nextOccurrence('FREQ=DAILY;COUNT=3', 'UTC', start, second!);
    expect(iso(third)).toBe('2026-12-03T09:00:00.000Z');
    expect(nextOccurrence('FREQ=DAILY;COUNT=3', 'UTC', start, third!)).toBeNull();
  });

  it('UNTIL ends the rule', () => {
    const start = at('2026-12-01T09:00:00Z');
    const rule = 'FREQ=WEEKLY;UNTIL=20261215T090000Z';
    const last = nextOccurrence(rule, 'UTC', start, at('2026-12-08T09:00:00Z'));
    expect(iso(last)).toBe('2026-12-15T09:00:00.000Z');
    expect(nextOccurrence(rule, 'UTC', start, last!)).toBeNull();
  });

  it('a late completion skips the occurrences missed in between', () => {
    const start = at('2026-01-05T09:00:00Z');
    // Completed on 2026-02-18 (a Wednesday): the next is the following Monday, not January's.
    expect(
      iso(nextOccurrence('FREQ=WEEKLY;BYDAY=MO', 'UTC', start, at('2026-02-18T10:00:00Z'))),
    ).toBe('2026-02-23T09:00:00.000Z');
  });
});
