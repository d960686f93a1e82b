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

test('off a terminal: a line when the counts change, with its time, not one per poll', () => {
  let now = Date.UTC(2026, 10, 23, 2, 0, 0);
  const t = io(false);
  const p = new ProgressLine(t.io, now, () => now);
  // A poll every 20 s; no count stays still for a minute, so no heartbeat either.
  for (const done of [0, 0, 0, 5, 5, 5, 10]) {
    now += 20_000;
    p.update({ done, total: 10, detail: `SUCCEEDED ${done}` });
  }
  expect(t.out).toEqual([
    '02:00:20 [..............................] 0/10 SUCCEEDED 0 | elapsed 20s',
    '02:01:20 [###############...............] 5/10 SUCCEEDED 5 | elapsed 1m 20s, 300/h, ETA 1m 00s',
    '02:02:20 [##############################] 10/10 SUCCEEDED 10 | elapsed 2m 20s, 300/h',
  ]);
  expect(t.status).toEqual([]);
});

describe('while nothing changes, a heartbeat says the watch is alive and for how long nothing moved', () => {
  const start = Date.UTC(2026, 10, 23, 2, 0, 0);
  const running = { done: 0, total: 12, detail: 'RUNNING 12' };

  test('off a terminal: a "still" line a minute after the last line, then every five minutes; a change resets it', () => {
    let now = start;
    const t = io(false);
    const p = new ProgressLine(t.io, start, () => now);
    // A poll every 30 s: 12 minutes with nothing changing, then a job succeeds, then 90 s more of nothing.
    for (let i = 0; i <= 24; i++) {
      p.update(running);
      now += 30_000;
    }
    p.update({ done: 1, total: 12, detail: 'RUNNING 11, SUCCEEDED 1' });
    for (let i = 0; i < 3; i++) {
      now += 30_000;
      p.update({ done: 1, total: 12, detail: 'RUNNING 11, SUCCEEDED 1' });
    }
    expect(t.out).toEqual([
      '02:00:00 [..............................] 0/12 RUNNING 12 | elapsed 0s',
      '02:01:00 still 0/12 done (RUNNING 12), nothing changed for 1m 00s | elapsed 1m 00s',
      '02:06:00 still 0/12 done (RUNNING 12), nothing changed for 6m 00s | elapsed 6m 00s',
      '02:11:00 still 0/12 done (RUNNING 12), nothing changed for 11m 00s | elapsed 11m 00s',
      '02:12:30 [###...........................] 1/12 RUNNING 11, SUCCEEDED 1 | elapsed 12m 30s, 4.8/h, ETA 2h 17m',
      '02:13:30 still 1/12 done (RUNNING 11, SUCCEEDED 1), nothing changed for 1m 00s | elapsed 13m 30s, 4.4/h, ETA 2h 28m',
    ]);
  });

  test('on a terminal: the redrawn line says for how long nothing changed, once it has been a minute', () => {
    let now = start;
    const t = io(true);
    const p = new ProgressLine(t.io, start, () => now);
    for (const after of [0, 30_000, 60_000, 150_000]) {
      now = start + after;
      p.update(running);
    }
    expect(t.status).toEqual([
      '[..............................] 0/12 RUNNING 12 | elapsed 0s',
      '[..............................] 0/12 RUNNING 12 | elapsed 30s',
      '[..............................] 0/12 RUNNING 12 | elapsed 1m 00s, nothing changed for 1m 00s',
      '[..............................] 0/12 RUNNING 12 | elapsed 2m 30s, nothing changed for 2m 30s',
    ]);
    expect(t.out).toEqual([]);
  });
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
