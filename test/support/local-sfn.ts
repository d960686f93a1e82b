import * as fs from 'fs';
import * as path from 'path';

/**
 * aws-local-stepfunctions 3.0.0 with two fixes, each checked in test/support/local-sfn.test.ts:
 * - its States.Hash computes SHA-256 wrongly for inputs longer than 56 bytes (two job definition ARNs that differ
 *   only in their revision hash alike), so a local run of the step cache's keys would prove nothing: here SHA-256 is
 *   node's `crypto`;
 * - it strips every backslash from an intrinsic's string result, so States.JsonToString of an object holding a JSON
 *   string (an error whose cause is a job description) is not JSON: AWS returns "a JSON string"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate),
 *   so here JsonToString's result is left as it is;
 * - its States.StringSplit splits at the whole second argument and keeps empty strings, where AWS splits at each of
 *   its characters (the AWS example splits "This.is+a,test=string" at ".+,=",
 *   https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-string-operation)
 *   and drops empty strings (LocalStack, whose Step Functions emulator is tested against AWS, changed its StringSplit
 *   to drop them for parity, https://github.com/localstack/localstack/pull/9749; moto 5.2's, taken from it, does
 *   too): here it does both.
 * The patched
 * copy is written beside the package's own build, so that it resolves the same dependencies, and loaded by the test
 * runner's own `require` (errors thrown by task handlers must come from the same realm as the interpreter).
 */
function load(): typeof import('aws-local-stepfunctions') {
  const file = require.resolve('aws-local-stepfunctions');
  const source = fs.readFileSync(file, 'utf8');
  const fixes: Array<[string, string]> = [
    ['return sha256.getDigest(str);', 'return require("crypto").createHash("sha256").update(str).digest("hex");'],
    [
      'if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");',
      'if (typeof result === "string" && this.funcDefinition.name !== "States.JsonToString") {\n      result = result.replaceAll("\\\\", "");',
    ],
    [
      'execute(str, separator) {\n    return str.split(separator);',
      'execute(str, separator) {\n    return [...separator].reduce((parts, d) => parts.flatMap((p) => p.split(d)), [str]).filter((p) => p !== "");',
    ],
  ];
  let patched = source;
  for (const [buggy, fixed] of fixes) {
    if (!patched.includes(buggy)) {
      throw new Error(`aws-local-stepfunctions changed: '${buggy}' is gone; check it and drop this patch`);
    }
    patched = patched.replace(buggy, fixed);
  }
  const target = path.join(path.dirname(file), 'main.node.sha256-fixed.cjs');
  if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== patched) {
    fs.writeFileSync(target, patched);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(target) as typeof import('aws-local-stepfunctions');
}

export const { StateMachine } = load();
