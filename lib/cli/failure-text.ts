import { ItemFailure, JobFailure } from '../client/pipeline-client';
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
