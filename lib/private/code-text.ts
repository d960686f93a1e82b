/** `value` as a single-quoted TypeScript string literal, for the code a message suggests. */
export function tsString(value: string): string {
  return `'${value.replace(/['\\]/g, '\\$&').replace(/\n/g, '\\n')}'`;
}
