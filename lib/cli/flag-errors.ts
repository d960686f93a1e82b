import { CliError } from './errors';
import { editDistance } from '../private/did-you-mean';

/**
 * What `parseArgs` refuses, in the command's own terms: an unknown flag names the flags the command takes and, for a
 * near miss, the one that was probably meant; a missing value or a stray argument points at the command's help.
 */

/** A `parseArgs` option, as far as its name and shape go. */
interface FlagOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/** `parseArgs`'s error codes (Node.js `util.parseArgs`: https://nodejs.org/api/util.html#utilparseargsconfig). */
const UNKNOWN_OPTION = 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
const MISSING_VALUE = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
const UNEXPECTED_POSITIONAL = 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';

/** The usage error for what `parseArgs` threw while reading `command`'s flags. */
export function flagError(command: string, options: Record<string, FlagOption>, error: Error): CliError {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  const help = `batch-pipelines ${command} --help`;
  if (code === UNKNOWN_OPTION && quoted) {
    const typed = quoted.split('=')[0];
    const guesses = nearMisses(typed, Object.keys(options));
    const guess = guesses.length > 0 ? `: did you mean ${orList(guesses.map((g) => `--${g}`))}?` : '.';
    const fix =
      guesses.length === 1
        ? `write --${guesses[0]} (${help} says what it takes)`
        : `use one of them (${help} says what each takes)`;
    return CliError.usage(`unknown flag ${typed}${guess} The flags of ${command}: ${listFlags(options)}. Fix: ${fix}`);
  }
  if (code === MISSING_VALUE && quoted) {
    const flag = quoted.split(' ')[0];
    // Node.js reads a value starting with '-' after a flag as the next flag ("argument is ambiguous").
    return /ambiguous/.test(error.message)
      ? CliError.usage(
          `${flag} is followed by an argument starting with '-', read as a flag, not as its value. Fix: ` +
            `${flag}=<value> for a value that starts with '-' (e.g. ${flag}=-1), or give ${flag} its value`,
        )
      : CliError.usage(`${flag} needs a value (${quoted}). Fix: give one after it; ${help} says what it takes`);
  }
  if (code === UNEXPECTED_POSITIONAL && quoted) {
    return CliError.usage(
      `unexpected argument '${quoted}': ${command} takes only flags, each value after its flag (--name value). ` +
        `Fix: put the flag it belongs to before it, or quote a value that has spaces; ${help} lists the flags`,
    );
  }
  return CliError.usage(`${error.message}; see ${help}`);
}

/** Flags every command (or most) takes, listed after a command's own, as its help lists them. */
const LISTED_LAST = ['region', 'profile', 'endpoint', 'json', 'help'];

/** `--a, --b, --json, -h/--help`: the command's own flags first, in the order it declares them. */
function listFlags(options: Record<string, FlagOption>): string {
  const rank = (name: string) => LISTED_LAST.indexOf(name);
  return Object.entries(options)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([name, o]) => (o.short ? `-${o.short}/--${name}` : `--${name}`))
    .join(', ');
}

function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * The flags `typed` probably meant: the closest by edit distance (a typo: `--items-per-dya`), else those it is a
 * prefix of or extends (`--memory` for `--memory-gib`, `--queues` for `--queue`), else those sharing its stem before
 * the last dash (`--items-per-hour` for the `--items-per-*` flags). Empty when nothing is close.
 */
export function nearMisses(typed: string, names: string[]): string[] {
  const t = typed.replace(/^-+/, '').toLowerCase();
  if (t.length === 0) {
    return [];
  }
  const limit = t.length <= 4 ? 1 : t.length <= 8 ? 2 : 3;
  const scored = names.map((name) => ({ name, d: editDistance(t, name) }));
  const best = Math.min(...scored.map((s) => s.d));
  const closest = scored.filter((s) => s.d === best).map((s) => s.name);
  const stem = t.includes('-') ? t.slice(0, t.lastIndexOf('-') + 1) : '';
  const related = stem.length >= 4 ? names.filter((n) => n.startsWith(stem)) : [];
  const family = related.length <= 3 ? related : [];
  // A one-letter slip names its flag; a word changed after the stem (`--items-per-year`) names the whole family.
  if (best <= 1 || (best <= limit && !closest.every((n) => family.includes(n)))) {
    return closest;
  }
  const prefixed = names.filter((n) => n.length > 2 && (n.startsWith(t) || t.startsWith(n)));
  if (prefixed.length > 0 && prefixed.length <= 3) {
    return prefixed;
  }
  return family.length > 0 ? family : best <= limit ? closest : [];
}
