// The command line of scripts/try-on-moto.ts, apart so a unit test reads it without starting moto
// (test/cli/try-on-moto-args.test.ts).
import { isAbsolute, resolve } from 'path';
import { parseArgs } from 'util';
import { nearMisses } from '../lib/cli/flag-errors';

export const TRY_ON_MOTO_USAGE = `Usage: npm run try-on-moto -- --app '<command>' [--stack NAME] [-c key=value ...]
       npm run try-on-moto -- --cdk-out DIR [--stack NAME]

Deploys one stack of your CDK app to moto (a local AWS emulator: Python with moto[server] 5.2.1) through moto's
CloudFormation, then prints the environment and the batch-pipelines commands that submit, start and watch work on it.
It keeps moto running until Ctrl-C. Fake credentials, 127.0.0.1 only; nothing reaches AWS.

  --app CMD        the app to synthesize, as cdk's --app (e.g. 'npx tsx bin/my-app.ts'), run in this directory
  --cdk-out DIR    or a cloud assembly already synthesized (cdk synth's cdk.out)
  --stack NAME     the stack to deploy (default: the only stack of the app)
  -c, --context K=V  context for the synthesis, as cdk's --context (repeatable; with --app)
  -h, --help       this help
`;

/** What to deploy: an app to synthesize in `cwd`, or an assembly already synthesized. */
export interface TryOnMotoArgs {
  readonly app?: string;
  readonly cdkOut?: string;
  readonly stack?: string;
  readonly context: string[];
  /** Where the app runs and relative paths start: the directory the command was typed in. */
  readonly cwd: string;
}

const OPTIONS = {
  app: { type: 'string' },
  'cdk-out': { type: 'string' },
  stack: { type: 'string' },
  context: { type: 'string', short: 'c', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Reads the arguments; throws an Error whose message says what is wrong and the fix. `cwd` is the directory the user
 * typed the command in (`npm run` changes to the package's: it keeps the original in INIT_CWD).
 */
export function parseTryOnMotoArgs(argv: string[], cwd: string): TryOnMotoArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (e) {
    const unknown = /Unknown option '([^'=]+)/.exec((e as Error).message)?.[1];
    const meant = unknown ? nearMisses(unknown, Object.keys(OPTIONS)) : [];
    throw new Error(
      `${(e as Error).message.split('\n')[0]}${meant.length ? `: did you mean --${meant.join(' or --')}?` : '.'} ` +
        `Fix: give --app '<command>' or --cdk-out DIR, and --stack NAME (see --help)`,
    );
  }
  if (values.help) {
    return 'help';
  }
  if ((values.app === undefined) === (values['cdk-out'] === undefined)) {
    throw new Error(
      `${values.app ? 'both --app and --cdk-out were given' : 'nothing to deploy'}: give one of --app or --cdk-out. ` +
        `Fix: --app 'npx tsx bin/my-app.ts' to synthesize your app, or --cdk-out cdk.out for one already synthesized`,
    );
  }
  if (values.context && values.app === undefined) {
    throw new Error(
      '--context applies to a synthesis: it goes with --app. Fix: drop --context, or synthesize with --app',
    );
  }
  const bad = (values.context ?? []).find((c) => !/^[^=]+=/.test(c));
  if (bad !== undefined) {
    throw new Error(`--context '${bad}' is not allowed; allowed: key=value. Fix: e.g. -c stage=dev`);
  }
  const cdkOut = values['cdk-out'];
  return {
    app: values.app,
    cdkOut: cdkOut === undefined ? undefined : isAbsolute(cdkOut) ? cdkOut : resolve(cwd, cdkOut),
    stack: values.stack,
    context: values.context ?? [],
    cwd,
  };
}

/** The stacks of a cloud assembly's manifest (`manifest.json`): their names and the environment each names. */
export function stacksOf(manifest: {
  artifacts?: Record<string, { type?: string; environment?: string; displayName?: string }>;
}): Array<{ name: string; account?: string; region?: string }> {
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([name, a]) => {
      // aws://<account>/<region>; an environment-agnostic stack says unknown-account / unknown-region.
      const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment ?? '') ?? [];
      return {
        name,
        account: account && account !== 'unknown-account' ? account : undefined,
        region: region && region !== 'unknown-region' ? region : undefined,
      };
    });
}

/** The stack to deploy: the one named, or the only one; otherwise an Error naming the stacks there are. */
export function pickStack<T extends { name: string }>(stacks: T[], wanted: string | undefined): T {
  const names = stacks.map((s) => s.name).join(', ') || 'none';
  if (wanted !== undefined) {
    const found = stacks.find((s) => s.name === wanted);
    if (!found) {
      throw new Error(`--stack ${wanted} is not in the app; its stacks: ${names}. Fix: --stack <one of them>`);
    }
    return found;
  }
  if (stacks.length !== 1) {
    throw new Error(`the app has ${stacks.length} stacks (${names}): say which. Fix: --stack <one of them>`);
  }
  return stacks[0];
}
