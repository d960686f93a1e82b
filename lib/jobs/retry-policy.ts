import { IConstruct } from 'constructs';
import { CapacityPlatform } from '../compute/capacity';
import { fail } from '../private/errors';
import {
  MAX_EVALUATE_ON_EXIT,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_PATTERN_LENGTH,
  MIN_RETRY_ATTEMPTS,
  FARGATE_SPOT_REASON_PATTERN,
  SPOT_RECLAIM_REASON_PATTERN,
} from '../private/limits';

/** What Batch does when a retry rule matches. */
export enum RetryAction {
  /** Run the job again (counts against `attempts`). */
  RETRY = 'RETRY',
  /** Stop: the job fails. */
  EXIT = 'EXIT',
}

/** One rule of a retry policy (an `evaluateOnExit` entry). Fields left out match anything. */
export interface RetryRule {
  /** What to do when the rule matches. */
  readonly action: RetryAction;
  /**
   * Pattern for the job's status reason, e.g. `Host EC2*` (letters, digits, `.`, `:`, spaces; `*` only at the end).
   * @default - any
   */
  readonly onStatusReason?: string;
  /**
   * Pattern for the container's reason, e.g. `CannotPullContainerError:*`.
   * @default - any
   */
  readonly onReason?: string;
  /**
   * Pattern for the exit code: digits, optionally ending in `*`.
   * @default - any
   */
  readonly onExitCode?: string;
}

const SPOT_RULE: RetryRule = { action: RetryAction.RETRY, onStatusReason: SPOT_RECLAIM_REASON_PATTERN };
const FARGATE_SPOT_RULE: RetryRule = { action: RetryAction.RETRY, onStatusReason: FARGATE_SPOT_REASON_PATTERN };
const PULL_RULE: RetryRule = { action: RetryAction.RETRY, onReason: 'CannotPullContainerError:*' };
const EXIT_ALL: RetryRule = { action: RetryAction.EXIT, onReason: '*' };

/**
 * When Batch runs a failed job again. Presets cover the common cases; every policy ends with a catch-all rule,
 * because a failure that matches no rule is retried.
 *
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html
 */
export class RetryPolicy {
  /**
   * Retry only when Spot capacity was taken back (EC2 `Host EC2*`, Fargate `Your Spot Task was interrupted*`), and fail
   * on anything else: an application error or an out-of-memory kill is not retried unchanged. AWS's recommended
   * custom retry for Spot, with the Fargate Spot reason added.
   * @param attempts total attempts, 1..10 (default 3)
   * @see https://docs.aws.amazon.com/batch/latest/userguide/bestpractice6.html
   */
  public static spotInterruptions(attempts = 3): RetryPolicy {
    return new RetryPolicy('spotInterruptions', attempts, [SPOT_RULE, FARGATE_SPOT_RULE, EXIT_ALL]);
  }

  /**
   * Like `spotInterruptions`, and also retry when the image could not be pulled (a registry hiccup or throttling).
   * @param attempts total attempts, 1..10 (default 3)
   */
  public static spotInterruptionsAndImagePulls(attempts = 3): RetryPolicy {
    return new RetryPolicy('spotInterruptionsAndImagePulls', attempts, [
      SPOT_RULE,
      FARGATE_SPOT_RULE,
      PULL_RULE,
      EXIT_ALL,
    ]);
  }

  /** Never retry: one attempt. */
  public static never(): RetryPolicy {
    return new RetryPolicy('never', 1, []);
  }

  /**
   * Your own rules, checked at synth: at most 5, `*` only at the end of a pattern, exit codes digits only, and the
   * last rule a catch-all (every field it sets is `*`), so no failure falls through to Batch's implicit retry.
   * @param attempts total attempts, 1..10
   */
  public static custom(attempts: number, rules: RetryRule[]): RetryPolicy {
    return new RetryPolicy('custom', attempts, rules);
  }

  private constructor(
    /** Which preset this is, for messages. */
    public readonly name: string,
    /** Total attempts, including the first. */
    public readonly attempts: number,
    private readonly ruleList: RetryRule[],
  ) {}

  /** Rules in evaluation order. */
  public get rules(): RetryRule[] {
    return [...this.ruleList];
  }

  /**
   * The rules a job definition on `platform` carries: a preset's Spot rule for the other platform is left out. A
   * Fargate job is never reclaimed with `Host EC2…` and an EC2 job never with `Your Spot Task was interrupted`, so the
   * rule could never match; leaving it out keeps every job definition ~100 bytes of template smaller. Custom rules are
   * kept as given.
   * @internal
   */
  public _rulesFor(platform: CapacityPlatform): RetryRule[] {
    const otherPlatformsRule = platform === CapacityPlatform.FARGATE ? SPOT_RULE : FARGATE_SPOT_RULE;
    return this.ruleList.filter((r) => r !== otherPlatformsRule);
  }

  /** Whether the policy retries Spot interruptions. */
  public get retriesSpotInterruptions(): boolean {
    return (
      this.attempts > 1 &&
      this.rules.some((r) => r.action === RetryAction.RETRY && r.onStatusReason === SPOT_RECLAIM_REASON_PATTERN)
    );
  }

  /**
   * Throws a clear error, scoped to `scope`, when the policy would not deploy or would retry the wrong failures.
   * @internal
   */
  public _validate(scope: IConstruct): void {
    const at = `retryPolicy (${this.name})`;
    if (!Number.isInteger(this.attempts) || this.attempts < MIN_RETRY_ATTEMPTS || this.attempts > MAX_RETRY_ATTEMPTS) {
      fail(scope, {
        prop: `${at}.attempts`,
        received: `${this.attempts}`,
        allowed: `a whole number from ${MIN_RETRY_ATTEMPTS} to ${MAX_RETRY_ATTEMPTS} (total attempts, the first included)`,
        fix: 'use e.g. 3; use RetryPolicy.never() for a single attempt',
      });
    }
    if (this.rules.length > MAX_EVALUATE_ON_EXIT) {
      fail(scope, {
        prop: `${at}.rules`,
        received: `${this.rules.length} rules`,
        allowed: `at most ${MAX_EVALUATE_ON_EXIT} (AWS Batch evaluateOnExit limit), the last a catch-all`,
        fix: 'merge rules with a trailing * (e.g. Host EC2*), or drop the least important ones',
      });
    }
    this.rules.forEach((rule, i) => validateRule(scope, `${at}.rules[${i}]`, rule));
    if (this.rules.length === 0) {
      return;
    }
    const catchAll = this.rules.findIndex(isCatchAll);
    if (catchAll === -1) {
      fail(scope, {
        prop: `${at}.rules`,
        received: 'no catch-all rule',
        allowed: "rules ending with a catch-all, e.g. { action: RetryAction.EXIT, onReason: '*' }",
        fix: "add { action: RetryAction.EXIT, onReason: '*' } last: Batch retries any failure that matches no rule",
      });
    }
    if (catchAll !== this.rules.length - 1) {
      fail(scope, {
        prop: `${at}.rules[${catchAll}]`,
        received: 'a catch-all before other rules',
        allowed: 'the catch-all as the last rule (rules after it never match)',
        fix: 'move the catch-all rule to the end',
      });
    }
  }
}

function isCatchAll(rule: RetryRule): boolean {
  const set = [rule.onStatusReason, rule.onReason, rule.onExitCode].filter((v) => v !== undefined);
  return set.length > 0 && set.every((v) => v === '*');
}

const REASON_PATTERN = /^[A-Za-z0-9.: \t]*\*?$/;
const EXIT_CODE_PATTERN = /^[0-9]*\*?$/;

function validateRule(scope: IConstruct, at: string, rule: RetryRule): void {
  const fields: Array<[string, string | undefined, RegExp, string]> = [
    [
      'onStatusReason',
      rule.onStatusReason,
      REASON_PATTERN,
      "letters, digits, '.', ':' and spaces, '*' only at the end",
    ],
    ['onReason', rule.onReason, REASON_PATTERN, "letters, digits, '.', ':' and spaces, '*' only at the end"],
    ['onExitCode', rule.onExitCode, EXIT_CODE_PATTERN, "digits only, '*' only at the end"],
  ];
  if (fields.every(([, v]) => v === undefined)) {
    fail(scope, {
      prop: at,
      received: 'a rule with no onStatusReason, onReason or onExitCode',
      allowed: 'at least one pattern per rule',
      fix: "give a pattern; use '*' to match everything",
    });
  }
  for (const [name, value, pattern, allowed] of fields) {
    if (value === undefined) {
      continue;
    }
    if (value.length === 0 || value.length > MAX_RETRY_PATTERN_LENGTH || !pattern.test(value)) {
      fail(scope, {
        prop: `${at}.${name}`,
        received: `'${value}'`,
        allowed: `1..${MAX_RETRY_PATTERN_LENGTH} characters: ${allowed}`,
        // Never suggest a bare '*' (a leading star): that matches every failure and would retry them all.
        fix: value.includes('*')
          ? `move the * to the end; a pattern matches from the start of the text, e.g. '${value.split('*')[0] || value.replace(/\*/g, '') || 'Host EC2'}*'`
          : 'remove the characters Batch does not accept',
      });
    }
  }
}
