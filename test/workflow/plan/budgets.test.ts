import { readFileSync } from 'fs';
import { join } from 'path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut } from '../../../lib';
import {
  checkStateBudget,
  estimatedEventsPerItem,
  ITEM_BYTES,
  MAX_ITEMS_IN_STATE,
  maxItemsInState,
  OUTCOME_BYTES,
} from '../../../lib/workflow/plan/budgets';
import { MAX_STATE_PAYLOAD_BYTES } from '../../../lib/private/limits';
import { genomicsJobs, genomicsSteps, SAMPLE_ITEMS, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();

describe('the state budget', () => {
  test('outcomes kept in the state: as many items as fit 256 KiB at ITEM_BYTES + OUTCOME_BYTES each, 134', () => {
    expect(MAX_ITEMS_IN_STATE).toBe(Math.floor(MAX_STATE_PAYLOAD_BYTES / (ITEM_BYTES + OUTCOME_BYTES)));
    expect(MAX_ITEMS_IN_STATE).toBe(134);
    expect(maxItemsInState(new FanOut('samples'))).toBe(MAX_ITEMS_IN_STATE);
    expect(maxItemsInState(new FanOut('samples', { results: { bucket: new s3.Bucket(g.stack, 'R1') } }))).toBe(
      undefined,
    );
  });

  test("the number FanOutOptions' docs give is the one computed", () => {
    const docs = readFileSync(join(__dirname, '../../../lib/workflow/step.ts'), 'utf8');
    const given = [...docs.matchAll(/(\d+)(?: items)? at the\s+(?:\*\s+)?default record size/g)].map((m) =>
      Number(m[1]),
    );
    expect(given.length).toBeGreaterThan(0);
    expect(new Set(given)).toEqual(new Set([MAX_ITEMS_IN_STATE]));
  });

  test('more expected items than the state holds is refused with the computed limit', () => {
    expect(() => checkStateBudget(scopeAt('Test/Wf'), new FanOut('samples', { expectedItems: 135 }))).toThrow(
      "Test/Wf: fanOut 'samples'.expectedItems 135 (items in the input and outcomes in the state, up to ~1950 bytes each, would exceed the 256 KiB state limit) is not allowed; allowed: at most 134 items per execution this way. Fix: read the items from a manifest in S3 (manifest) and write outcomes to S3 (results), or split the items into several executions",
    );
    expect(() => checkStateBudget(scopeAt('Test/Wf'), new FanOut('samples', { expectedItems: 134 }))).not.toThrow();
  });

  test('a manifest with results keeps nothing per item in the state: no limit', () => {
    const bucket = new s3.Bucket(g.stack, 'R2');
    const f = new FanOut('samples', { manifest: { bucket }, results: { bucket }, expectedItems: 1_000_000 });
    expect(() => checkStateBudget(scopeAt('Test/Wf'), f)).not.toThrow();
  });
});

describe('the history budget', () => {
  test('an item adds its fixed states and id check, 4 per parallel level and 26 per step', () => {
    const { samples, steps } = genomicsSteps(g, SAMPLE_ITEMS);
    // align, then callVariants and qc in parallel: 10 + 6 (the duplicate-id check) + 4 + 3 × (6 + 6 + 14), a step's
    // entry being its plan state, the check whether Spot was lost before, and the router to its submit state.
    expect(estimatedEventsPerItem(samples, [steps.align, steps.callVariants, steps.qc])).toBe(98);
  });
});
