import { createHash } from 'crypto';
import { StateMachine } from './local-sfn';

// The patched interpreter's States.Hash (./local-sfn.ts) against node's crypto, on inputs on both sides of 56 bytes.
test('States.Hash SHA-256 matches crypto for short and long inputs', async () => {
  const inputs = [
    'input data',
    'arn:aws:batch:us-east-1:123456789012:job-definition/Test_Align:1|s1',
    'arn:aws:batch:us-east-1:123456789012:job-definition/Test_Align:2|s1',
  ];
  for (const data of inputs) {
    const machine = new StateMachine({
      StartAt: 'h',
      States: { h: { Type: 'Pass', Parameters: { 'h.$': "States.Hash($.d, 'SHA-256')" }, End: true } },
    } as never);
    const out = (await machine.run({ d: data } as never).result) as { h: string };
    expect(out.h).toBe(createHash('sha256').update(data).digest('hex'));
  }
});

// States.JsonToString of an error whose cause is JSON: the result parses back to the object.
test('States.JsonToString keeps the escapes of nested JSON strings', async () => {
  const error = { Error: 'States.TaskFailed', Cause: JSON.stringify({ StatusReason: 'Host EC2 (instance i-1) "x"' }) };
  const machine = new StateMachine({
    StartAt: 's',
    States: { s: { Type: 'Pass', Parameters: { 's.$': 'States.JsonToString($.e)' }, End: true } },
  } as never);
  const out = (await machine.run({ e: error } as never).result) as { s: string };
  expect(JSON.parse(out.s)).toEqual(error);
});

// States.StringSplit as AWS's: each character of the second argument splits (the AWS example), empty strings dropped.
test('States.StringSplit splits at each delimiter character and drops empty strings', async () => {
  const machine = new StateMachine({
    StartAt: 's',
    States: { s: { Type: 'Pass', Parameters: { 'p.$': 'States.StringSplit($.s, $.d)' }, End: true } },
  } as never);
  const split = async (s: string, d: string) => ((await machine.run({ s, d } as never).result) as { p: string[] }).p;
  expect(await split('This.is+a,test=string', '.+,=')).toEqual(['This', 'is', 'a', 'test', 'string']);
  expect(await split('s3://bucket/a//b.fq', '/')).toEqual(['s3:', 'bucket', 'a', 'b.fq']);
});
