import { CommandIO } from '../../lib/cli/io';
import { duration, ProgressLine } from '../../lib/cli/progress';

function io(isTTY: boolean) {
  const out: string[] = [];
  const status: string[] = [];
  const value: CommandIO = { out: (s) => out.push(s), err: () => undefined, status: (s) => status.push(s), isTTY };
  return { io: value, out, status };
}

const HOUR = 3_600_000;

test('rate and ETA count what finished since watching began, not what was done before', () => {
  let now = Date.UTC(2026, 10, 23, 2, 0, 0);
  const t = io(true);
  // The run started an hour before watching began, with 400 of 1,000 already done.
  const p = new ProgressLine(t.io, now - HOUR, () => now);
  p.update({ done: 400, total: 1000, detail: 'RUNNING 50' });
  expect(t.status[0]).toBe('[############..................] 400/1,000 RUNNING 50 | elapsed 1h 00m');
  now += HOUR / 2;
  p.update({ done: 500, total: 1000, detail: 'RUNNING 50' });
  // 100 in half an hour: 200/h; 500 left: 2.5 h.
  expect(t.status[1]).toBe('[###############...............] 500/1,000 RUNNING 50 | elapsed 1h 30m, 200/h, ETA 2h 30m');
});

test('off a terminal: a line only when the counts change, with its time', () => {
  let now = Date.UTC(2026, 10, 23, 2, 0, 0);
  const t = io(false);
  const p = new ProgressLine(t.io, now, () => now);
  for (const done of [0, 0, 0, 5, 5, 10]) {
    now += 60_000;
    p.update({ done, total: 10, detail: `SUCCEEDED ${done}` });
  }
  expect(t.out).toEqual([
    '02:01:00 [..............................] 0/10 SUCCEEDED 0 | elapsed 1m 00s',
    '02:04:00 [###############...............] 5/10 SUCCEEDED 5 | elapsed 4m 00s, 100/h, ETA 3m 00s',
    '02:06:00 [##############################] 10/10 SUCCEEDED 10 | elapsed 6m 00s, 120/h',
  ]);
  expect(t.status).toEqual([]);
});

test('a line printed while the progress line is drawn goes above it, and the line is redrawn', () => {
  const t = io(true);
  const p = new ProgressLine(t.io, 0, () => 0);
  p.update({ done: 1, total: 2, detail: 'x' });
  p.print('  failed: S3');
  p.end();
  expect(t.status).toEqual([
    '[###############...............] 1/2 x | elapsed 0s',
    '',
    '[###############...............] 1/2 x | elapsed 0s',
    '',
  ]);
  expect(t.out).toEqual(['  failed: S3', '[###############...............] 1/2 x | elapsed 0s']);
});

test.each([
  [0, '0s'],
  [42_000, '42s'],
  [250_000, '4m 10s'],
  [3 * HOUR + 5 * 60_000, '3h 05m'],
  [52 * HOUR, '2d 4h'],
])('duration(%p) is %p', (ms, text) => {
  expect(duration(ms)).toBe(text);
});

test('a run that has ended: elapsed counts to its end however late the line is drawn', () => {
  const start = Date.UTC(2026, 10, 23, 2, 0, 0);
  const t = io(false);
  const p = new ProgressLine(t.io, start, () => start + HOUR);
  p.update({ done: 3, total: 3, detail: 'SUCCEEDED 3', endedAt: start + 4_000 });
  expect(t.out).toEqual(['03:00:00 [##############################] 3/3 SUCCEEDED 3 | elapsed 4s']);
});
