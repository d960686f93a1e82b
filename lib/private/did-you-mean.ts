/**
 * The candidate `value` was most likely meant to be, for "did you mean …?" in messages: one that differs only in case,
 * else the nearest within a small edit distance (letters added, removed, replaced or swapped; case ignored). Short
 * names allow fewer edits, so `id` does not suggest `ip`.
 * @returns the nearest candidate (the first of equally near ones), or `undefined` when none is near or `value` is one
 */
export function didYouMean(value: string, candidates: Iterable<string>): string | undefined {
  const wanted = value.toLowerCase();
  const allowed = maxEdits(value.length);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === value) {
      return undefined;
    }
    const lower = candidate.toLowerCase();
    const d = Math.abs(wanted.length - lower.length) > allowed ? Infinity : editDistance(wanted, lower);
    if (d <= allowed && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits a name of `length` characters may be off by and still be a near miss. */
function maxEdits(length: number): number {
  if (length <= 3) {
    return 0;
  }
  return length <= 6 ? 1 : 2;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each count one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) {
    d[0][j] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
