import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut, FanOutMode } from '../../../lib';
import { chooseFanOutMode } from '../../../lib/workflow/plan/fan-out-mode';
import { genomicsJobs, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const bucket = new s3.Bucket(g.stack, 'Data');
const choose = (f: FanOut, eventsPerItem = 80) => chooseFanOutMode(scopeAt('Test/Wf'), f, eventsPerItem);

describe('chooseFanOutMode', () => {
  test('AUTO is Inline up to 40 at once and half the history limit, Distributed beyond either', () => {
    expect(choose(new FanOut('f', { maxConcurrency: 40, expectedItems: 125 }), 100)).toBe(FanOutMode.INLINE);
    expect(choose(new FanOut('f', { maxConcurrency: 40, expectedItems: 126 }), 100)).toBe(FanOutMode.DISTRIBUTED);
    expect(choose(new FanOut('f', { maxConcurrency: 41, expectedItems: 10 }), 100)).toBe(FanOutMode.DISTRIBUTED);
  });

  test('by default (50 at once, 500 items) a fan-out is Distributed', () => {
    expect(choose(new FanOut('f'))).toBe(FanOutMode.DISTRIBUTED);
  });

  test('a requested mode is kept', () => {
    expect(choose(new FanOut('f', { mode: FanOutMode.INLINE, maxConcurrency: 10, expectedItems: 10 }))).toBe(
      FanOutMode.INLINE,
    );
    expect(choose(new FanOut('f', { mode: FanOutMode.DISTRIBUTED, maxConcurrency: 10, expectedItems: 10 }))).toBe(
      FanOutMode.DISTRIBUTED,
    );
  });

  test('results in S3 make it Distributed; INLINE with them is refused', () => {
    expect(choose(new FanOut('f', { results: { bucket }, maxConcurrency: 10, expectedItems: 10 }))).toBe(
      FanOutMode.DISTRIBUTED,
    );
    expect(() =>
      choose(new FanOut('f', { results: { bucket }, mode: FanOutMode.INLINE, maxConcurrency: 10, expectedItems: 10 })),
    ).toThrow(
      "Test/Wf: fanOut 'f'.mode INLINE with results written to S3 is not allowed; allowed: DISTRIBUTED or AUTO: only a Distributed Map reads items from S3 and writes results there. Fix: remove mode (AUTO), or remove results to keep outcomes in the execution output",
    );
    expect(() =>
      choose(
        new FanOut('more', {
          manifest: { bucket },
          results: { bucket },
          mode: FanOutMode.INLINE,
          maxConcurrency: 10,
          expectedItems: 100,
        }),
      ),
    ).toThrow(
      "Test/Wf: fanOut 'more'.mode INLINE with items from a manifest in S3 is not allowed; allowed: DISTRIBUTED or AUTO: only a Distributed Map reads items from S3 and writes results there. Fix: remove mode (AUTO)",
    );
  });

  test('INLINE beyond the history limit is refused with the estimate', () => {
    expect(() =>
      choose(new FanOut('samples', { mode: FanOutMode.INLINE, maxConcurrency: 40, expectedItems: 130 }), 230),
    ).toThrow(
      "Test/Wf: fanOut 'samples'.mode INLINE for 130 items (~29900 history events, ~230 per item) is not allowed; allowed: at most 25000 events in one execution's history (reaching it fails the execution). Fix: use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution",
    );
  });
});
