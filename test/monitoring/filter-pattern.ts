/**
 * CloudWatch Logs' matching of a JSON log event against a metric filter's JSON pattern, for the syntax the library's
 * filters use, so a test can count what a filter would over a sequence of events. Syntax it does not know throws.
 *
 * The rules, from https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html:
 * `{ SELECTOR = "value" }`, selectors `$.a.b` and array elements `$.a[0].b`; a value ending in `*` matches by
 * prefix; `&&`, `||` and parentheses combine terms; a selector that finds nothing does not match.
 */
export function matchesFilter(pattern: string, event: unknown): boolean {
  const body = /^\{(.*)\}$/s.exec(pattern.trim())?.[1];
  if (body === undefined) {
    throw new Error(`not a JSON filter pattern: ${pattern}`);
  }
  const tokens = body.match(/\(|\)|&&|\|\||"[^"]*"|=|[^\s()=&|"]+/g) ?? [];
  let at = 0;
  const next = () => tokens[at++];
  const or = (): boolean => {
    let v = and();
    while (tokens[at] === '||') {
      next();
      v = and() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = term();
    while (tokens[at] === '&&') {
      next();
      v = term() && v;
    }
    return v;
  };
  const term = (): boolean => {
    const t = next();
    if (t === '(') {
      const v = or();
      if (next() !== ')') {
        throw new Error(`unbalanced parentheses in ${pattern}`);
      }
      return v;
    }
    if (!t?.startsWith('$.') || next() !== '=') {
      throw new Error(`unsupported term at ${t} in ${pattern}`);
    }
    const want = next();
    if (!want?.startsWith('"')) {
      throw new Error(`only string comparisons are supported: ${want} in ${pattern}`);
    }
    const value = select(t, event);
    const text = want.slice(1, -1);
    return typeof value === 'string' && (text.endsWith('*') ? value.startsWith(text.slice(0, -1)) : value === text);
  };
  const v = or();
  if (at !== tokens.length) {
    throw new Error(`unexpected ${tokens[at]} in ${pattern}`);
  }
  return v;
}

function select(selector: string, event: unknown): unknown {
  let value: unknown = event;
  for (const part of selector.slice(2).match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part;
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  return value;
}
