/** `n` and its unit, in the plural unless it is one: `1 GPU`, `4 GPUs`, `0.5 vCPUs`. */
export function count(n: number, unit: string): string {
  return `${n} ${n === 1 ? unit : `${unit}s`}`;
}
