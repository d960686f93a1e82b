/**
 * EventBridge's matching of an event against a rule's event pattern, for the operators the library's rules use, so a
 * test can run an event AWS documents through a synthesized pattern. An operator it does not know throws: a test
 * never passes on a pattern it cannot read.
 *
 * The rules, from https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
 * - every field the pattern names must match (AND); the values listed for a field are alternatives (OR);
 * - a nested object in the pattern matches the event's object at the same place;
 * - when the event's value is an array, the field matches when any element matches;
 * - `{ "exists": false }` matches when the field is absent (also when an object above it is absent), `true` when
 *   present; `{ "prefix": "x" }` a string starting with x; `{ "anything-but": v | [v…] }` any value present but those;
 * - `"$or": [p…]` at a level matches when any of the patterns p matches the event's object at that level.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    if (key === '$or') {
      return (want as Array<Record<string, unknown>>).some((p) => matchesPattern(p, event));
    }
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(want)) {
      const values = Array.isArray(value) ? value : [value];
      return want.some((alternative) => values.some((v) => matchesValue(alternative, v, value !== undefined)));
    }
    if (isObject(want)) {
      return matchesPattern(want, value);
    }
    throw new Error(`pattern field ${key}: ${JSON.stringify(want)} is neither a list of values nor an object`);
  });
}

function matchesValue(want: unknown, value: unknown, present: boolean): boolean {
  if (!isObject(want)) {
    return present && want === value;
  }
  const [op, arg] = Object.entries(want)[0] ?? [];
  switch (op) {
    case 'exists':
      return arg === present;
    case 'prefix':
      return present && typeof value === 'string' && value.startsWith(arg as string);
    case 'anything-but':
      return present && !(Array.isArray(arg) ? arg : [arg]).includes(value);
    default:
      throw new Error(`event pattern operator ${JSON.stringify(want)} is not one this matcher knows`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
