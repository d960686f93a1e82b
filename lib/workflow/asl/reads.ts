import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { C } from './conditions';
import { MAX_ARRAY_SIZE, MIN_ARRAY_SIZE } from '../../private/limits';

/**
 * A value a step reads from the state when it submits its job, and the JSON type SubmitJob needs there: parameters,
 * environment values and share identifiers are strings, an array size is a number. A path that is missing raises
 * `States.Runtime`, which no Catch handles, so each one is checked before anything reads it: an item's paths by the
 * item's check (the item fails alone, as `Item.Invalid`), the execution input's by a check at the start of the run.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export interface StateRead {
  readonly path: string;
  readonly type: 'string' | 'number';
  /** The prop the path was given in (or derived for), for messages. */
  readonly prop: string;
}

/**
 * True when every path (at least one) is present with the type it is read as; a number (an array size) also within
 * 2..10,000, which SubmitJob accepts. `And` stops at the first false rule, so a missing path is never compared.
 * https://states-language.net/#choice-state https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayProperties.html
 */
export function readsPresent(reads: StateRead[]): sfn.Condition {
  return C.and(
    ...reads.flatMap((r) =>
      r.type === 'number'
        ? [
            C.isPresent(r.path),
            C.isNumeric(r.path),
            C.numberGreaterThanEquals(r.path, MIN_ARRAY_SIZE),
            C.numberLessThanEquals(r.path, MAX_ARRAY_SIZE),
          ]
        : [C.isPresent(r.path), C.isString(r.path)],
    ),
  );
}

/**
 * What the values must be, in words, e.g. `lacks or mistypes a value its steps read (they need the string fields
 * sampleId lab and the number field chunks)`: text for States.Format, so without braces, quotes or backslashes, which
 * it would read as its own.
 */
export function describeReads(reads: StateRead[], prefixes: string[]): string {
  const strip = (path: string) => {
    const prefix = prefixes.find((p) => path.startsWith(p));
    return prefix ? path.slice(prefix.length) : path;
  };
  const names = (type: string) => reads.filter((r) => r.type === type).map((r) => strip(r.path));
  const strings = names('string');
  const numbers = names('number');
  const parts = [
    ...(strings.length ? [`string field${strings.length > 1 ? 's' : ''} ${strings.join(' ')}`] : []),
    ...(numbers.length
      ? [
          `whole number field${numbers.length > 1 ? 's' : ''} ${numbers.join(' ')} from ${MIN_ARRAY_SIZE} to ${MAX_ARRAY_SIZE}`,
        ]
      : []),
  ];
  return `lacks or mistypes a value its steps read (they need the ${parts.join(' and the ')})`.replace(/[{}'\\]/g, '');
}
