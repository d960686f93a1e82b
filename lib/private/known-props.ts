import { IConstruct } from 'constructs';
import { tsString } from './code-text';
import { didYouMean } from './did-you-mean';
import { fail } from './errors';

/**
 * Every key of a props interface, each `true`: a list tsc keeps complete, since a prop added to `T` without its key
 * here (or a key of no prop) fails to compile. Kept next to each props interface.
 */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Throws on a key of `props` that is not a prop of `propsName`. TypeScript catches such a key at compile time, but
 * plain JavaScript, `tsx` (which does not type-check) and the jsii languages passing a dictionary do not, and the
 * construct would silently ignore it (`maxConcurency: 10` leaves maxConcurrency at its default).
 * @param prefix how the props are reached from `scope`, e.g. `steps['align'].`, for the message
 */
export function checkKnownProps<T>(
  scope: IConstruct,
  propsName: string,
  props: T | undefined,
  known: KnownKeys<T>,
  prefix = '',
): void {
  if (props === undefined || props === null || typeof props !== 'object') {
    return;
  }
  const allowed = Object.keys(known);
  for (const key of Object.keys(props)) {
    if (Object.prototype.hasOwnProperty.call(known, key)) {
      continue;
    }
    const value = (props as Record<string, unknown>)[key];
    const meant = didYouMean(key, allowed);
    const code = literal(value);
    fail(scope, {
      prop: `${prefix}${key}`,
      received:
        code ??
        (Array.isArray(value) ? '(an array)' : `(${typeof value === 'object' ? 'an object' : `a ${typeof value}`})`),
      problem: `is not a prop of ${propsName} (it would be ignored)`,
      allowed: allowed.join(', '),
      fix: meant
        ? `did you mean \`${meant}\`? ` + (code ? `\`${meant}: ${code}\`` : `rename ${key} to ${meant}`)
        : `remove ${key}, or use one of the allowed props`,
    });
  }
}

/** The value as code where it is one a user types as is (a number, a string, a boolean). */
function literal(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return typeof value === 'string' ? tsString(value) : undefined;
}
