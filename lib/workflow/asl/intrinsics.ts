/**
 * Arithmetic with Step Functions' intrinsic functions, which have one arithmetic function (States.MathAdd) and a
 * nesting limit (MAX_NESTED_INTRINSICS in lib/private/limits.ts).
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */

/** `path` × `k` with the only arithmetic intrinsic there is (States.MathAdd), by doubling. */
export function times(path: string, k: number): string {
  if (k === 1) {
    return path;
  }
  const half = times(path, Math.floor(k / 2));
  const doubled = `States.MathAdd(${half}, ${half})`;
  return k % 2 === 0 ? doubled : `States.MathAdd(${doubled}, ${path})`;
}

/** How many intrinsic calls `times(path, k)` makes. */
export function timesCalls(k: number): number {
  return (times('x', k).match(/States\.MathAdd/g) ?? []).length;
}

/** The greatest common divisor of two whole numbers. */
export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
