// Deploys the example to moto (the open-source AWS emulator, through e2e/moto_launcher.py: needs Python with
// moto[server] 5.2.1) and runs the README's "Running work" commands against it, printing the transcript the README
// shows: `npx tsx scripts/moto-demo.ts`. Fake credentials, 127.0.0.1 only.
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Moto } from '../e2e/moto';
import { runCliAsync } from '../test/support/cli';

async function demo() {
  const moto = new Moto();
  await moto.start();
  try {
    const config = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    // Batch without Docker (moto marks jobs done at submit); Step Functions really executing the workflow.
    await moto.api('config', { batch: { use_docker: false }, stepfunctions: { execute_state_machine: true } });

    console.log('$ npx cdk deploy GenomicsPipeline');
    const { outputs, log } = await moto.deploy('GenomicsPipeline', dir);
    const outputLines = log.split('\n').filter((l) => l.startsWith('GenomicsPipeline.') || l.startsWith('Outputs:'));
    console.log(`…\n${outputLines.join('\n')}\n…\n`);

    const files: Record<string, string> = {};
    const items = (name: string, sampleIds: string[]) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], JSON.stringify(sampleIds.map((sampleId) => ({ sampleId }))));
      return files[name];
    };
    const run = async (args: string[]) => {
      const shown = args.map((a) => Object.keys(files).find((name) => files[name] === a) ?? a);
      console.log(`$ batch-pipelines ${shown.join(' ')}`);
      const r = await runCliAsync([...args, '--endpoint', moto.endpoint], moto.awsEnv());
      // On Node 20 the AWS SDK adds a notice that later versions need Node 22 (a block of lines); it is left out.
      const notice = r.stderr.indexOf('(node:');
      const stderr =
        notice >= 0
          ? r.stderr.slice(0, notice) + r.stderr.slice(r.stderr.indexOf('warning was created)') + 21)
          : r.stderr;
      process.stdout.write(r.stdout + stderr);
      console.log(`(exit ${r.code})\n`);
      return r;
    };

    const queue = outputs.StandardQueue;
    const stages = ['--stage', 'align=GenomicsPipeline_Align', '--stage', 'callVariants=GenomicsPipeline_CallVariants'];
    const batch42 = items('batch-42.json', ['NA12878', 'NA12891', 'NA12892']);
    const submit42 = ['submit', '--queue', queue, ...stages, '--items', batch42, '--id-field', 'sampleId'];
    await run([...submit42, '--run-id', 'batch-42']);
    await run([...submit42, '--run-id', 'batch-42']);
    await run(['watch', '--queue', queue, '--run-id', 'batch-42', '--interval', '1']);

    // A job definition registered by hand, outside the library's checks, asks for 128 GiB: as much as the queue's
    // largest instances have installed, more than they can give a job. moto holds its jobs in RUNNABLE, as Batch does
    // when no instance type can place them.
    const batch = new BatchClient(config);
    await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'align-by-hand',
        type: 'container',
        containerProperties: {
          image: 'public.ecr.aws/docker/library/busybox:1.36',
          resourceRequirements: [
            { type: 'VCPU', value: '4' },
            { type: 'MEMORY', value: '131072' },
          ],
        },
      }),
    );
    batch.destroy();
    await moto.api('config', { batch: { use_docker: false, hold_runnable: true } });
    console.log('# run batch-43 uses a job definition registered by hand that asks for 4 vCPU and 128 GiB');
    const batch43 = items('batch-43.json', ['NA12878']);
    await run([
      'submit',
      '--queue',
      queue,
      '--stage',
      'align=align-by-hand',
      '--items',
      batch43,
      '--id-field',
      'sampleId',
      '--run-id',
      'batch-43',
    ]);
    await run(['diagnose', '--queue', queue, '--older-than', '0']);
    await run(['cancel', '--queue', queue, '--run-id', 'batch-43']);
    await moto.api('config', { batch: { use_docker: false } });

    const s3 = new S3Client({ ...config, forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({
        Bucket: outputs.InputBucket,
        Key: 'manifests/week-48.json',
        Body: JSON.stringify([
          ...['NA12878', 'NA12891', 'NA12892'].map((sampleId) => ({
            sampleId,
            inputUri: `s3://${outputs.InputBucket}/samples/${sampleId}.fastq.gz`,
            outputUri: `s3://${outputs.ResultsBucket}/aligned/${sampleId}/`,
          })),
          // A hand-edited line that lost its sampleId and outputUri.
          { inputUri: `s3://${outputs.InputBucket}/samples/NA12893.fastq.gz` },
        ]),
      }),
    );
    s3.destroy();
    console.log('# manifests/week-48.json (3 samples and a line that lost its sampleId) uploaded to the input bucket');
    const start = [
      'start',
      '--state-machine-arn',
      outputs.WorkflowStateMachineArn,
      '--bucket',
      outputs.InputBucket,
      '--key',
      'manifests/week-48.json',
    ];
    const started = await run(start);
    await run(start);
    const executionArn = started.stdout.trim().split(': ').pop()!;
    await run(['watch', '--execution-arn', executionArn, '--interval', '1']);
    await run(['rerun', '--execution-arn', executionArn, '--dry-run']);
  } finally {
    await moto.stop();
  }
}

void demo();
