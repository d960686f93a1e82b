import * as fs from 'fs';
import * as path from 'path';

/**
 * aws-local-stepfunctions 3.0.0 with one fix: its States.Hash computes SHA-256 wrongly for inputs longer than 56 bytes
 * (two job definition ARNs that differ only in their revision hash alike), so a local run of the step cache's keys
 * would prove nothing. Here SHA-256 is node's (test/support/local-sfn.test.ts checks it against `crypto`). The patched
 * copy is written beside the package's own build, so that it resolves the same dependencies, and loaded by the test
 * runner's own `require` (errors thrown by task handlers must come from the same realm as the interpreter).
 */
function load(): typeof import('aws-local-stepfunctions') {
  const file = require.resolve('aws-local-stepfunctions');
  const source = fs.readFileSync(file, 'utf8');
  const buggy = 'return sha256.getDigest(str);';
  if (!source.includes(buggy)) {
    throw new Error(`aws-local-stepfunctions changed: '${buggy}' is gone; check its States.Hash and drop this patch`);
  }
  const patched = source.replace(buggy, 'return require("crypto").createHash("sha256").update(str).digest("hex");');
  const target = path.join(path.dirname(file), 'main.node.sha256-fixed.cjs');
  if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== patched) {
    fs.writeFileSync(target, patched);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(target) as typeof import('aws-local-stepfunctions');
}

export const { StateMachine } = load();
