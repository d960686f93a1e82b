import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { runFaultWeek } from './fault-run';
import { FAULT_QUEUES, faultWeekJobs, RUN_NAME } from './simulated-jobs';
import { decodePng } from './png';
import { buildRunReport } from '../../lib/client/report/build';
import { RunReport } from '../../lib/client/report/types';
import { renderReportHtml } from '../../lib/report/html';
import { SEGMENT_COLOURS } from '../../lib/report/styles';
import { MIN, QUEUES, smallWeek, T0 } from '../client/report/jobs';

/**
 * The report opened in a real browser: Debian's chromium, headless, driven by puppeteer-core (nothing downloaded).
 * Every request other than the page's own file fails the test, as does any console error; the timeline's bars are
 * found in a screenshot's pixels; every figure the page shows is the JSON's. Screenshots go to test-artifacts/report/
 * (gitignored). `WRITE_README_IMAGE=1` also writes docs/images/run-report.png from the seeded week's report.
 */

const CHROMIUM = '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const ARTIFACTS = join(root, 'test-artifacts', 'report');
const EXECUTION = `arn:aws:states:us-east-1:123456789012:execution:GenomicsWorkflow:${RUN_NAME}`;

let browser: Browser;
let small: RunReport;
let week: RunReport;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless=new'],
  });
  small = buildRunReport({
    run: { kind: 'execution', name: RUN_NAME, executionArn: EXECUTION, status: 'FAILED' },
    jobs: smallWeek(),
    queues: QUEUES,
    cached: { qc: 2 },
    now: T0 + 300 * MIN,
    rerun: `batch-pipelines rerun --execution-arn ${EXECUTION}`,
  });
  const jobs = faultWeekJobs(await runFaultWeek());
  week = buildRunReport({
    run: { kind: 'execution', name: RUN_NAME, executionArn: EXECUTION, status: 'SUCCEEDED' },
    jobs,
    queues: FAULT_QUEUES,
    now: Math.max(...jobs.map((j) => j.job.stoppedAt ?? 0)),
    rerun: `batch-pipelines rerun --execution-arn ${EXECUTION}`,
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  readonly page: Page;
  readonly requests: string[];
  readonly errors: string[];
}

/** Opens the report's page from a file, refusing (and recording) every other request. */
async function open(report: RunReport, name: string): Promise<Opened> {
  const file = join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, renderReportHtml(report));
  const url = `file://${file}`;
  const page = await browser.newPage();
  await page.setViewport({ width: 1300, height: 900 });
  const requests: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url() === url) {
      void r.continue();
    } else {
      requests.push(r.url());
      void r.abort();
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error') {
      errors.push(m.text());
    }
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors };
}

/** The figure at `path` (`steps.0.jobHours`, `failures.length`) of the report. */
function at(report: RunReport, path: string): number {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], report) as number;
}

/** What a cell shows, read back as a number, and how far the shown rounding lets it be from the JSON's. */
function shown(text: string): { value: number; tolerance: number } {
  if (/^\$/.test(text)) {
    return { value: Number(text.slice(1).replace(/,/g, '')), tolerance: 0.005 + 1e-9 };
  }
  if (/^(\d+[dhms] ?)+$/.test(text)) {
    // `3d 4h`, `2h 05m`, `12m 30s`, `45s` (lib/report/format.ts duration): rounded to seconds, then truncated.
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
    const parts = [...text.matchAll(/(\d+)([dhms])/g)].map((m) => [Number(m[1]), m[2] as keyof typeof unit] as const);
    const value = parts.reduce((n, [v, u]) => n + v * unit[u], 0);
    return { value, tolerance: unit[parts[parts.length - 1][1]] };
  }
  return { value: Number(text.replace(/,/g, '')), tolerance: text.includes('.') ? 0.005 + 1e-9 : 0 };
}

async function figuresMatch(page: Page, report: RunReport): Promise<number> {
  const cells = await page.$$eval('[data-json]', (els) =>
    els.map((e) => [e.getAttribute('data-json')!, e.textContent ?? ''] as const),
  );
  for (const [path, text] of cells) {
    const { value, tolerance } = shown(text);
    const expected = at(report, path);
    expect({ path, text, off: Math.abs(value - expected) <= tolerance }).toEqual({ path, text, off: true });
  }
  return cells.length;
}

/** The timeline's bars, each with its colour and where it is inside the SVG. */
async function bars(page: Page, svg: string) {
  return page.$$eval(`svg#${svg} rect.seg`, (rects) => {
    const box = rects[0]?.ownerSVGElement?.getBoundingClientRect();
    return rects.map((r) => {
      const b = r.getBoundingClientRect();
      return { x: b.x - box!.x, y: b.y - box!.y, w: b.width, h: b.height, fill: r.getAttribute('fill')! };
    });
  });
}

/** Screenshots the SVG and checks the pixel at the middle of each wide enough bar has the bar's colour. */
async function barsInPixels(page: Page, svg: string, file: string): Promise<number> {
  const element = (await page.$(`svg#${svg}`))!;
  const png = Buffer.from(await element.screenshot({ path: join(ARTIFACTS, file) }));
  const pixels = decodePng(png);
  const wide = (await bars(page, svg)).filter((b) => b.w >= 3 && b.h >= 3);
  expect(wide.length).toBeGreaterThan(0);
  for (const b of wide.slice(0, 200)) {
    const [r, g, bl] = pixels.at(Math.floor(b.x + b.w / 2), Math.floor(b.y + b.h / 2));
    const hex = `#${[r, g, bl].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    expect(hex).toBe(b.fill);
  }
  return wide.length;
}

describe('a small run in Chromium', () => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await open(small, 'small-week');
  });

  test('loads with no request but its own file and no console error', () => {
    expect(opened.requests).toEqual([]);
    expect(opened.errors).toEqual([]);
  });

  test('the timeline is drawn: every attempt a bar, its colour in the screenshot where the bar is', async () => {
    const drawn = await bars(opened.page, 'timeline-detail');
    const kinds = new Set(Object.values(SEGMENT_COLOURS).map((c) => c.fill));
    expect(drawn.every((b) => kinds.has(b.fill as never))).toBe(true);
    // A waiting and a running segment per started attempt.
    const started = small.itemSteps.flatMap((s) => s.attempts).filter((a) => a.startedAt !== undefined).length;
    expect(drawn).toHaveLength(small.attempts + started);
    expect(await barsInPixels(opened.page, 'timeline-detail', 'small-week-timeline.png')).toBeGreaterThan(10);
  });

  test("every figure on the page is the JSON's", async () => {
    expect(await figuresMatch(opened.page, small)).toBeGreaterThan(60);
  });

  test('a failure shows its reason, exit code and the commands', async () => {
    const text = await opened.page.$eval('#failures', (e) => e.textContent ?? '');
    expect(text).toContain('Essential container in task exited');
    expect(text).toContain('batch-pipelines logs --job-id c2');
    expect(text).toContain(`batch-pipelines rerun --execution-arn ${EXECUTION}`);
  });
});

describe("the seeded 500-sample week of the example's state machine in Chromium", () => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await open(week, 'fault-week');
  });

  test('the run is the seeded week: Spot losses, memory escalations and failures', () => {
    const align = week.steps.find((s) => s.step === 'align')!;
    expect(week.items).toBe(496);
    expect(align.spotInterruptions).toBeGreaterThan(0);
    expect(align.memoryEscalations).toBeGreaterThan(0);
    expect(week.failures.length).toBeGreaterThan(0);
    expect(week.failures.every((f) => f.step === 'callVariants' && f.exitCode === 2)).toBe(true);
  });

  test('loads with no request but its own file and no console error', () => {
    expect(opened.requests).toEqual([]);
    expect(opened.errors).toEqual([]);
  });

  test('lanes per step and the slowest items are drawn, their colours in the screenshot', async () => {
    expect(await barsInPixels(opened.page, 'timeline-lanes', 'fault-week-lanes.png')).toBeGreaterThan(100);
    expect(await barsInPixels(opened.page, 'timeline-slowest', 'fault-week-slowest.png')).toBeGreaterThan(20);
    const lanes = await opened.page.$$eval('svg#timeline-lanes g.lane', (gs) =>
      gs.map((g) => g.getAttribute('data-step')),
    );
    expect(lanes).toEqual(week.steps.map((s) => s.step));
  });

  test("every figure on the page is the JSON's", async () => {
    expect(await figuresMatch(opened.page, week)).toBeGreaterThan(100);
  });

  test('a screenshot of the page', async () => {
    await opened.page.screenshot({ path: join(ARTIFACTS, 'fault-week.png'), fullPage: true });
    if (process.env.WRITE_README_IMAGE) {
      // The top of the page: the overview and the timeline's lanes and first slowest samples.
      await opened.page.setViewport({ width: 1300, height: 1150 });
      await opened.page.evaluate('window.scrollTo(0, 0)');
      await opened.page.screenshot({ path: join(root, 'docs', 'images', 'run-report.png') });
    }
  });
});
