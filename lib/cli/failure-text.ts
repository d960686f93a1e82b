import { CommandIO } from './io';
import { ItemFailure } from '../client/executions/progress';
import { JobFailure } from '../client/jobs/failures';
import { FailedItem } from '../client/run-outcomes';

/** One failed item in words: which, what error, and why. */
export function describeItem(f: FailedItem | ItemFailure): string {
  const which = f.index < 0 ? 'an item' : `${f.id ?? `item ${f.index}`} (#${f.index})`;
  return `${which} ${f.error}: ${f.reason || 'no reason given'}`;
}

/** One failed job or child in words: which, why, and where its log is. */
export function describeJobFailure(f: JobFailure): string {
  const which =
    f.arrayIndex === undefined
      ? `${f.jobName} (${f.jobId})`
      : `${f.jobName}[${f.arrayIndex}]${f.itemIndex === undefined ? '' : ` item ${f.itemIndex}`} (${f.jobId})`;
  const why = [f.statusReason, f.containerReason, f.exitCode === undefined ? undefined : `exit code ${f.exitCode}`]
    .filter((p) => p)
    .join('; ');
  return `${which}: ${why || 'no reason given'}${f.logStreamName ? `; log stream ${f.logStreamName}` : ''}`;
}

/** Failed jobs or items named in text; `--json` lists them all. */
const SHOWN_FAILURES = 20;

/** Prints the first failures, indented, and how many more `--json` lists. */
export function printFailures<T>(io: CommandIO, failures: T[], describe: (f: T) => string): void {
  for (const f of failures.slice(0, SHOWN_FAILURES)) {
    io.out(`  ${describe(f)}`);
  }
  if (failures.length > SHOWN_FAILURES) {
    io.out(`  … and ${failures.length - SHOWN_FAILURES} more: --json lists every one`);
  }
}
