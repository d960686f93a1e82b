// The arguments of scripts/try-on-moto.ts (docs/try-on-moto.md): read without starting moto.
import { parseTryOnMotoArgs, pickStack, stacksOf } from '../../scripts/try-on-moto-args';

describe('try-on-moto: what to deploy', () => {
  test('--app runs in the directory the command was typed in; -c passes context', () => {
    expect(
      parseTryOnMotoArgs(['--app', 'npx tsx bin/my-app.ts', '-c', 'stage=dev', '--stack', 'Video'], '/home/me/app'),
    ).toEqual({
      app: 'npx tsx bin/my-app.ts',
      cdkOut: undefined,
      stack: 'Video',
      context: ['stage=dev'],
      cwd: '/home/me/app',
    });
  });

  test('--cdk-out is read from that directory too', () => {
    expect(parseTryOnMotoArgs(['--cdk-out', 'cdk.out'], '/home/me/app')).toMatchObject({
      cdkOut: '/home/me/app/cdk.out',
    });
    expect(parseTryOnMotoArgs(['--cdk-out', '/tmp/out'], '/home/me/app')).toMatchObject({ cdkOut: '/tmp/out' });
    expect(parseTryOnMotoArgs(['-h'], '/')).toBe('help');
  });

  test.each([
    [[], "nothing to deploy: give one of --app or --cdk-out. Fix: --app 'npx tsx bin/my-app.ts'"],
    [['--app', 'x', '--cdk-out', 'y'], 'both --app and --cdk-out were given: give one of --app or --cdk-out.'],
    [['--cdk-out', 'y', '-c', 'a=b'], '--context applies to a synthesis: it goes with --app.'],
    [['--app', 'x', '-c', 'stage'], "--context 'stage' is not allowed; allowed: key=value. Fix: e.g. -c stage=dev"],
    [['--stak', 'Video'], "Unknown option '--stak': did you mean --stack?"],
  ])('%p is refused: %s', (argv, message) => {
    expect(() => parseTryOnMotoArgs(argv, '/')).toThrow(message);
  });
});

describe('try-on-moto: which stack', () => {
  // The artifacts of a cloud assembly's manifest.json as cdk synth writes it (an environment-agnostic stack, one
  // bound to an account and region, and an asset manifest that is not a stack).
  const manifest = {
    artifacts: {
      Thumbnails: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region' },
      Video: { type: 'aws:cloudformation:stack', environment: 'aws://111111111111/eu-west-1' },
      'Thumbnails.assets': { type: 'cdk:asset-manifest' },
    },
  };

  test('the stacks and the environment each is bound to', () => {
    expect(stacksOf(manifest)).toEqual([
      { name: 'Thumbnails', account: undefined, region: undefined },
      { name: 'Video', account: '111111111111', region: 'eu-west-1' },
    ]);
  });

  test('the one named, or the only one; otherwise the names to choose from', () => {
    const stacks = stacksOf(manifest);
    expect(pickStack(stacks, 'Video').name).toBe('Video');
    expect(pickStack(stacks.slice(0, 1), undefined).name).toBe('Thumbnails');
    expect(() => pickStack(stacks, undefined)).toThrow(
      'the app has 2 stacks (Thumbnails, Video): say which. Fix: --stack <one of them>',
    );
    expect(() => pickStack(stacks, 'Thumbs')).toThrow(
      '--stack Thumbs is not in the app; its stacks: Thumbnails, Video. Fix: --stack <one of them>',
    );
  });
});
