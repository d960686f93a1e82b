import { Construct } from 'constructs';
import { checkStateBudget } from './budgets';
import { checkStatePrefix } from './prefixes';
import { gcd, timesCalls } from '../asl/intrinsics';
import { FanOut, FanOutMode } from '../step';
import { fail } from '../../private/errors';
import {
  DISTRIBUTED_MAP_MAX_CONCURRENCY,
  INLINE_MAP_MAX_CONCURRENCY,
  MAX_NESTED_INTRINSICS,
} from '../../private/limits';

/**
 * Checks a fan-out's options: its name, where its items are and which fields they carry, how many run at once, its
 * partial-success policy, that a manifest comes with results in S3, and that what it keeps in the state fits.
 */
export function checkFanOut(scope: Construct, f: FanOut): void {
  const at = `fanOut '${f.name}'`;
  if (!/^[A-Za-z][A-Za-z0-9]{0,30}$/.test(f.name)) {
    fail(scope, {
      prop: `${at}.name`,
      received: `'${f.name}'`,
      allowed: 'up to 31 letters and digits, starting with a letter',
      fix: "use e.g. 'samples'",
    });
  }
  if (f.results?.prefix !== undefined) {
    checkStatePrefix(scope, `${at}.results.prefix`, f.results.prefix);
  }
  if (!f.itemsPath.startsWith('$')) {
    fail(scope, {
      prop: `${at}.itemsPath`,
      received: `'${f.itemsPath}'`,
      allowed: 'a JSONPath starting with $',
      fix: "use e.g. '$.items'",
    });
  }
  for (const field of f.itemFields) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
      fail(scope, {
        prop: `${at}.itemFields`,
        received: `'${field}'`,
        allowed: 'field names of letters, digits and underscores, not starting with a digit (read as $.item.<field>)',
        fix: `rename the field in the manifest, e.g. '${field.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[0-9]/, '_')}'`,
      });
    }
  }
  if (!f.itemFields.includes(f.idField)) {
    fail(scope, {
      prop: `${at}.idField`,
      received: `'${f.idField}'`,
      allowed: `one of the item fields (${f.itemFields.join(', ')})`,
      fix: `add '${f.idField}' to itemFields`,
    });
  }
  if (
    !Number.isInteger(f.maxConcurrency) ||
    f.maxConcurrency < 1 ||
    f.maxConcurrency > DISTRIBUTED_MAP_MAX_CONCURRENCY
  ) {
    fail(scope, {
      prop: `${at}.maxConcurrency`,
      received: `${f.maxConcurrency}`,
      allowed: `a whole number from 1 to ${DISTRIBUTED_MAP_MAX_CONCURRENCY}`,
      fix: 'give how many items may run at once, e.g. 50',
    });
  }
  if (f.mode === FanOutMode.INLINE && f.maxConcurrency > INLINE_MAP_MAX_CONCURRENCY) {
    fail(scope, {
      prop: `${at}.maxConcurrency`,
      received: `${f.maxConcurrency} with mode INLINE`,
      allowed: `at most ${INLINE_MAP_MAX_CONCURRENCY} items at once in an inline Map`,
      fix: 'use FanOutMode.DISTRIBUTED (or AUTO) for more items at once',
    });
  }
  if (!Number.isInteger(f.expectedItems) || f.expectedItems < 1) {
    fail(scope, {
      prop: `${at}.expectedItems`,
      received: `${f.expectedItems}`,
      allowed: 'a whole number of at least 1',
      fix: 'give the usual number of items per run',
    });
  }
  checkFailurePolicy(scope, f);
  if (f.manifest && !f.results) {
    fail(scope, {
      prop: `${at}.results`,
      received: 'none, with items from a manifest',
      allowed:
        'results in S3 whenever items come from a manifest: its length is known only at run time, and outcomes kept in the state fail the whole run uncatchably beyond 256 KiB',
      fix: "write outcomes to S3: results: { bucket: resultsBucket, prefix: 'runs/' }",
    });
  }
  checkStateBudget(scope, f);
}

/** The partial-success policy: a count of at least 0, a percentage of 0..100 that the run-time check can evaluate. */
function checkFailurePolicy(scope: Construct, f: FanOut): void {
  const at = `fanOut '${f.name}'`;
  if (f.maxFailedItems !== undefined && (!Number.isInteger(f.maxFailedItems) || f.maxFailedItems < 0)) {
    fail(scope, {
      prop: `${at}.maxFailedItems`,
      received: `${f.maxFailedItems}`,
      allowed: 'a whole number of at least 0',
      fix: 'use 0 to stop the steps after the fan-out when any item fails',
    });
  }
  const p = f.maxFailedPercentage;
  if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 100)) {
    fail(scope, {
      prop: `${at}.maxFailedPercentage`,
      received: `${p}`,
      allowed: 'a whole number from 0 to 100',
      fix: 'use e.g. 10 to stop the steps after the fan-out when more than 10% of the items failed',
    });
  }
  if (p !== undefined && p > 0 && !percentageFits(p)) {
    const allowed = Array.from({ length: 100 }, (_, i) => i + 1).filter(percentageFits);
    fail(scope, {
      prop: `${at}.maxFailedPercentage`,
      received: `${p} (the run-time check would nest more than ${MAX_NESTED_INTRINSICS} intrinsic functions)`,
      allowed: `0 or one of ${allowed.join(', ')}`,
      fix: `use the nearest allowed percentage, e.g. ${allowed.reduce((a, b) => (Math.abs(b - p) < Math.abs(a - p) ? b : a))}, or maxFailedItems for an exact count`,
    });
  }
}

/**
 * Whether the check `failed × 100/g > items × p/g` (g = gcd(100, p)) stays within Step Functions' nesting limit of
 * intrinsic functions, doubling with States.MathAdd being the only way to multiply.
 */
export function percentageFits(p: number): boolean {
  const g = gcd(100, p);
  return timesCalls(100 / g) <= MAX_NESTED_INTRINSICS && timesCalls(p / g) <= MAX_NESTED_INTRINSICS;
}
