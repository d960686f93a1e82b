import { Construct } from 'constructs';
import { FanOut, FanOutMode } from '../step';
import { fail } from '../../private/errors';
import { INLINE_MAP_MAX_CONCURRENCY, MAX_HISTORY_EVENTS } from '../../private/limits';

/**
 * How a fan-out runs. Results in S3 (and so a manifest) need a Distributed Map; AUTO runs Inline only while far from
 * the history limit (at most half of it at `expectedItems`), so retries and escalations cannot push a run over it. A
 * requested INLINE that would reach the limit, or cannot do what the fan-out asks, is refused.
 * @param eventsPerItem the estimated history events of one item (see `estimatedEventsPerItem`)
 */
export function chooseFanOutMode(scope: Construct, f: FanOut, eventsPerItem: number): FanOutMode {
  const events = f.expectedItems * eventsPerItem;
  if (f.mode === FanOutMode.INLINE && events > MAX_HISTORY_EVENTS) {
    fail(scope, {
      prop: `fanOut '${f.name}'.mode`,
      received: `INLINE for ${f.expectedItems} items (~${events} history events, ~${eventsPerItem} per item)`,
      allowed: `at most ${MAX_HISTORY_EVENTS} events in one execution's history (reaching it fails the execution)`,
      fix: 'use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution',
    });
  }
  // Only a Distributed Map reads items from S3 and writes results there (a manifest comes with results).
  if (f.results) {
    if (f.mode === FanOutMode.INLINE) {
      fail(scope, {
        prop: `fanOut '${f.name}'.mode`,
        received: f.manifest ? 'INLINE with items from a manifest in S3' : 'INLINE with results written to S3',
        allowed: 'DISTRIBUTED or AUTO: only a Distributed Map reads items from S3 and writes results there',
        fix: f.manifest
          ? 'remove mode (AUTO)'
          : 'remove mode (AUTO), or remove results to keep outcomes in the execution output',
      });
    }
    return FanOutMode.DISTRIBUTED;
  }
  if (f.mode !== FanOutMode.AUTO) {
    return f.mode;
  }
  return f.maxConcurrency <= INLINE_MAP_MAX_CONCURRENCY && events <= MAX_HISTORY_EVENTS / 2
    ? FanOutMode.INLINE
    : FanOutMode.DISTRIBUTED;
}
