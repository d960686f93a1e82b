import { Construct } from 'constructs';
import { fail } from './errors';
import { BATCH_NAME_PATTERN } from './limits';

/** Throws unless `name` is a valid Batch job, queue or job definition name. */
export function checkBatchName(scope: Construct, prop: string, name: string): void {
  if (!BATCH_NAME_PATTERN.test(name)) {
    fail(scope, {
      prop,
      received: `'${name}'`,
      allowed: 'up to 128 letters, digits, hyphens and underscores, starting with a letter or digit',
      fix: `use e.g. '${name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128) || 'my-job'}'`,
    });
  }
}
