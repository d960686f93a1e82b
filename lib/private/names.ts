import { createHash } from 'crypto';
import { Annotations, Aws, Fn, Names, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { jobDefinitionArnPattern } from './arns';
import { fail } from './errors';
import { BATCH_NAME_PATTERN } from './limits';

/** Throws unless `name` is a valid Batch job, queue or job definition name. */
export function checkBatchName(scope: Construct, prop: string, name: string): void {
  if (!BATCH_NAME_PATTERN.test(name)) {
    fail(scope, {
      prop,
      received: `'${name}'`,
      allowed: 'up to 128 letters, digits, hyphens and underscores, starting with a letter or digit',
      fix: `use e.g. '${name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128) || 'my-job'}'`,
    });
  }
}

const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

/**
 * The part of job definition names that identifies their stack: the stack name (a stack name cannot contain `_`, so
 * `<stack>_` is a prefix no other stack's job definitions share), shortened with a hash when long or not known at
 * synth (nested stacks).
 */
export function stackNamePart(stack: Stack): string {
  if (Token.isUnresolved(stack.stackName)) {
    return `${stack.node.id.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${hash8(stack.node.path)}`;
  }
  return stack.stackName.length <= 60 ? stack.stackName : `${stack.stackName.slice(0, 51)}-${hash8(stack.stackName)}`;
}

/**
 * The default physical name of a job definition: `<stack>_<path of the construct below the stack>`. Every job
 * definition of a stack shares the `<stack>_` prefix, so one IAM resource pattern covers all of them however many
 * there are.
 */
export function defaultJobDefinitionName(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const prefix = `${stackNamePart(stack)}_`;
  const scopes = scope.node.scopes;
  const relative = scopes
    .slice(scopes.indexOf(stack) + 1)
    .map((s) => s.node.id)
    .join('-');
  let part = relative.replace(/[^A-Za-z0-9_-]/g, '-');
  if (part !== relative || prefix.length + part.length > 128) {
    part = `${part.slice(0, 128 - prefix.length - 9)}-${hash8(scope.node.path)}`;
  }
  return prefix + part;
}

/** IAM resource pattern of every revision of every job definition named by `defaultJobDefinitionName` in `stack`. */
export function stackJobDefinitionsArn(stack: Stack): string {
  return jobDefinitionArnPattern(stack, `${stackNamePart(stack)}_*`);
}

/**
 * A log group name for Step Functions logs under `/aws/vendedlogs/states/`, unique in the account: Step Functions
 * adds every other log group it logs to to the account's CloudWatch Logs resource policy (5,120 characters, 10 per
 * region), until a deploy fails with "The CloudWatch Logs Resource Policy size was exceeded".
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export function vendedLogGroupName(scope: IConstruct, what: string): string {
  // The stack id's UUID (new on every create) keeps a retained group of a deleted stack from blocking the next create
  // of a stack of the same name with "already exists".
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  const unique = Names.uniqueResourceName(scope, { maxLength: 140, separator: '-' });
  return `/aws/vendedlogs/states/${unique}-${what}-${stackUuid}`;
}

/** Physical names claimed in an app, per kind and environment: the construct that claimed each. */
const CLAIMS = new WeakMap<IConstruct, Map<string, IConstruct>>();

/**
 * Claims a physical name (a job definition, queue or compute environment name) for `scope` in its app. Batch names
 * are unique per account and region: a second compute environment or queue of one name fails to create, and a second
 * stack registering a job definition of one name shares (or fails to create) the first one's definition, whose
 * revisions each deploy then replaces. So a second claim in one stack or one account and region fails at construction,
 * naming both constructs. Stacks without an explicit account and region may deploy anywhere; a name claimed in two of
 * them is a warning, since they usually deploy to one place.
 */
export function claimPhysicalName(scope: Construct, kind: string, prop: string, name: string): void {
  if (Token.isUnresolved(name)) {
    return;
  }
  const stack = Stack.of(scope);
  const agnostic = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region);
  const where = agnostic ? 'any' : `${stack.account}/${stack.region}`;
  const claims = CLAIMS.get(scope.node.root) ?? new Map<string, IConstruct>();
  CLAIMS.set(scope.node.root, claims);
  const key = `${kind}\u0000${where}\u0000${name}`;
  const other = claims.get(key);
  if (other === undefined) {
    claims.set(key, scope);
    return;
  }
  if (agnostic && Stack.of(other) !== stack) {
    Annotations.of(scope).addWarningV2(
      'cdk-batch-pipelines:duplicate-name',
      `${scope.node.path}: ${kind} name '${name}' is also used by ${other.node.path}; deployed to the same account and ` +
        `region, the two stacks would fight over one ${kind}. Give one of them another ${prop}, or give the stacks env.`,
    );
    return;
  }
  fail(scope, {
    prop,
    received: `'${name}'`,
    problem: `is already the name of ${kind} ${other.node.path} in this app (${agnostic ? 'the same stack' : 'the same account and region'})`,
    allowed: `one ${kind} per name in an account and region (Batch names are unique there)`,
    fix: `give one of them another ${prop}, or leave ${prop} out to let the library or CloudFormation name it`,
  });
}
