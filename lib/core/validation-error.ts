import { IConstruct } from 'constructs';

/** What a validation message is made of: every part a user needs to act on it. */
export interface ProblemParts {
  /** The prop whose value is wrong, e.g. `maxvCpus`. */
  readonly prop: string;
  /** The value received, rendered for a human. */
  readonly received: string;
  /** What is allowed. */
  readonly allowed: string;
  /** What to change. */
  readonly fix: string;
  /**
   * What is wrong with the value, when "is not allowed" does not say it, e.g. `does not fit queue Standard`.
   * @default 'is not allowed'
   */
  readonly problem?: string;
}

/**
 * Renders a problem as one line that names the construct path, the prop, the value received, what is allowed
 * and the fix. Thrown errors and whole-tree validation messages use the same wording.
 */
export function describeProblem(scope: IConstruct, parts: ProblemParts): string {
  return `${scope.node.path}: ${parts.prop} ${parts.received} ${parts.problem ?? 'is not allowed'}; allowed: ${parts.allowed}. Fix: ${parts.fix}`;
}

/** Marks this library's errors, so they are told apart even across two copies of the library (no `instanceof`). */
const ERROR_KIND = Symbol.for('cdk-batch-pipelines.error-kind');

/**
 * Marks `error` as one of this library's, for `PipelineErrors`.
 * @internal
 */
export function markError(error: Error, kind: 'validation' | 'cost-model' | 'client'): void {
  Object.defineProperty(error, ERROR_KIND, { value: kind, enumerable: false });
}

/**
 * Tells this library's errors apart in JavaScript and TypeScript without `instanceof`, so the checks hold across two
 * copies of the library and in code that only sees the jsii API. From Python, an error arrives as a `RuntimeError`
 * whose message is the library's; these checks cannot take it.
 */
export class PipelineErrors {
  /**
   * Whether `x` is a `BatchPipelinesValidationError`: props that would not deploy, would leave jobs stuck, or would
   * waste money.
   */
  // jsii takes `any` (not `unknown`) for a value of any type, from any language.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public static isValidationError(x: any): boolean {
    return typeof x === 'object' && x !== null && x[ERROR_KIND] === 'validation';
  }

  /** Whether `x` is a `CostModelError`: a workload or assumption the cost model cannot price. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public static isCostModelError(x: any): boolean {
    return typeof x === 'object' && x !== null && x[ERROR_KIND] === 'cost-model';
  }

  /**
   * Whether `x` is a `PipelineClientError`: a request the client will not send, a run in a state the request cannot
   * act on, or a manifest or result file it cannot read. Its `kind` says which.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public static isClientError(x: any): boolean {
    return typeof x === 'object' && x !== null && x[ERROR_KIND] === 'client';
  }

  private constructor() {}
}

/**
 * Thrown at construction when a construct of this library is given props that would not deploy, would leave
 * jobs stuck, or would waste money. `constructPath` and `prop` let tools tell problems apart without parsing.
 * Other languages: `PipelineErrors.isValidationError`.
 * @jsii ignore
 */
export class BatchPipelinesValidationError extends Error {
  /** Path of the construct whose props are wrong. */
  public readonly constructPath: string;
  /** The prop whose value is wrong. */
  public readonly prop: string;

  constructor(scope: IConstruct, parts: ProblemParts) {
    super(describeProblem(scope, parts));
    this.name = 'BatchPipelinesValidationError';
    markError(this, 'validation');
    this.constructPath = scope.node.path;
    this.prop = parts.prop;
  }
}
