import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut } from '../../../lib';
import { checkFanOut, percentageFits } from '../../../lib/workflow/plan/fan-out-checks';
import { genomicsJobs, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const check = (f: FanOut) => () => checkFanOut(scopeAt('Test/Wf'), f);

describe('checkFanOut', () => {
  test('the default item shape passes (items at $.items, each with an id)', () => {
    expect(check(new FanOut('items', { expectedItems: 100 }))).not.toThrow();
  });

  test('an id field that is not an item field is refused', () => {
    expect(check(new FanOut('samples', { idField: 'sampleId', itemFields: ['id'] }))).toThrow(
      "Test/Wf: fanOut 'samples'.idField 'sampleId' is not allowed; allowed: one of the item fields (id). Fix: add 'sampleId' to itemFields",
    );
  });

  test('an items path that is not a JSONPath is refused', () => {
    expect(check(new FanOut('samples', { itemsPath: 'samples' }))).toThrow(
      "Test/Wf: fanOut 'samples'.itemsPath 'samples' is not allowed; allowed: a JSONPath starting with $. Fix: use e.g. '$.items'",
    );
  });

  test('a manifest without results in S3 is refused', () => {
    expect(check(new FanOut('few', { manifest: { bucket: new s3.Bucket(g.stack, 'Input') } }))).toThrow(
      "Test/Wf: fanOut 'few'.results none, with items from a manifest is not allowed; allowed: results in S3 whenever items come from a manifest: its length is known only at run time, and outcomes kept in the state fail the whole run uncatchably beyond 256 KiB. Fix: write outcomes to S3: results: { bucket: resultsBucket, prefix: 'runs/' }",
    );
  });
});

describe('percentageFits', () => {
  test('a percentage fits when its run-time check nests at most 10 intrinsic functions', () => {
    const fitting = Array.from({ length: 100 }, (_, i) => i + 1).filter(percentageFits);
    expect(fitting).toEqual([10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100]);
  });
});
