import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { lint } from './templates-global';

// `npm test` lints every template the tests inspect (test/support/templates-global.ts); this shows the check is live:
// cfn-lint runs here and reports an error for a template CloudFormation would refuse.
test('cfn-lint runs and fails a template CloudFormation would refuse', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  try {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 'two weeks' } } },
      }),
    );
    const result = await lint([file]);
    expect(result.status! & 2).toBe(2);
    expect(result.stdout).toMatch(/:E\d+:.*two weeks/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
