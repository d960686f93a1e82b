// Runs the README's "Running work" commands against the local Batch stand-in the tests use (127.0.0.1 only, fake
// credentials) and prints the transcript: `npx tsx scripts/local-demo.ts`.
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchServer } from '../test/support/batch-server';
import { runCliAsync } from '../test/support/cli';

async function demo() {
  const server = new BatchServer({
    throttleFirstSubmits: 1,
    stuck: {
      namePrefix: 'batch-43',
      statusReason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (memory) is not met',
      memoryMiB: 32768,
    },
  });
  const endpoint = await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  const items = join(dir, 'batch-42.json');
  writeFileSync(items, JSON.stringify(['NA12878', 'NA12891', 'NA12892'].map((sampleId) => ({ sampleId }))));
  const env = { AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };
  const run = async (args: string[]) => {
    const shown = args.map((a) => (a === endpoint ? '$ENDPOINT' : a === items ? 'batch-42.json' : a));
    console.log(`$ batch-pipelines ${shown.join(' ')}`);
    const r = await runCliAsync([...args.slice(0, 1), '--endpoint', endpoint, ...args.slice(1)], env);
    process.stdout.write(r.stdout + r.stderr);
    console.log(`(exit ${r.code})\n`);
  };
  const stages = ['--stage', 'align=genomics-align', '--stage', 'callVariants=genomics-call'];
  await run(['submit', '--queue', 'standard', ...stages, '--items', items, '--run-id', 'batch-42']);
  await run(['submit', '--queue', 'standard', ...stages, '--items', items, '--run-id', 'batch-42']);
  await run(['watch', '--queue', 'standard', '--run-id', 'batch-42', '--interval', '0.2']);
  await run([
    'submit',
    '--queue',
    'standard',
    '--stage',
    'align=genomics-align',
    '--items',
    items,
    '--run-id',
    'batch-43',
  ]);
  await run(['diagnose', '--queue', 'standard', '--older-than', '60']);
  await run(['cancel', '--queue', 'standard', '--run-id', 'batch-43']);
  await server.stop();
}

void demo();
