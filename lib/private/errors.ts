import { IConstruct } from 'constructs';
import { BatchPipelinesValidationError, ProblemParts } from '../core/validation-error';

/** Throws a `BatchPipelinesValidationError` for `scope`. */
export function fail(scope: IConstruct, parts: ProblemParts): never {
  throw new BatchPipelinesValidationError(scope, parts);
}

/**
 * Formats a MiB count as GiB with at most one decimal, e.g. `30.4 GiB`; below 1 GiB as MiB (`8 MiB`), which one decimal
 * of GiB would show as `0 GiB`.
 */
export function gib(mib: number): string {
  if (mib < 1024) {
    return `${mib} MiB`;
  }
  const v = Math.floor((mib / 1024) * 10) / 10;
  return `${Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)} GiB`;
}
