import { Size } from 'aws-cdk-lib';
import { CostModelError, estimateCost, Workload } from '../../lib';
import { LIBRARY_INPUT_NAMES } from '../../lib/cost/cost-types';

const job = (memoryGiB: number, more: Partial<Workload> = {}): Workload => ({
  itemsPerMonth: 100,
  hoursPerItem: 4,
  vcpus: 4,
  memory: Size.gibibytes(memoryGiB),
  maxConcurrency: 10,
  ...more,
});
const message = (w: Workload, instanceTypes?: string[]): string => {
  try {
    estimateCost(w, { instanceTypes });
  } catch (e) {
    expect(e).toBeInstanceOf(CostModelError);
    return (e as Error).message;
  }
  throw new Error('expected the estimate to fail');
};
const DEFAULTS =
  'r5.xlarge, r5.2xlarge, r5.4xlarge, r6i.xlarge, r6i.2xlarge, r6i.4xlarge, r7i.xlarge, r7i.2xlarge, r7i.4xlarge';

describe('a job that fits nowhere', () => {
  test('names a larger type from the catalog when one fits, and the largest request that fits; both work', () => {
    expect(message(job(200))).toBe(
      `vcpus 4, memory 200 GiB fits none of the instance types given (${DEFAULTS}: the most memory a job can get is ` +
        '121.6 GiB, on r5.4xlarge) and no Fargate size (Fargate sizes go up to 120 GiB). Fix: add r5.8xlarge to ' +
        'instanceTypes (32 vCPUs, 243.2 GiB usable), or set memory 121 GiB or less.',
    );
    expect(() => estimateCost(job(200), { instanceTypes: [...DEFAULTS.split(', '), 'r5.8xlarge'] })).not.toThrow();
    expect(() => estimateCost(job(121))).not.toThrow();
  });

  test('says so when nothing in the catalog fits, and only suggests what does', () => {
    expect(message(job(900))).toBe(
      `vcpus 4, memory 900 GiB fits none of the instance types given (${DEFAULTS}: the most memory a job can get is ` +
        '121.6 GiB, on r5.4xlarge) and no Fargate size (Fargate sizes go up to 120 GiB). No instance type in the ' +
        'catalog (x86_64) fits it either. Fix: set memory 121 GiB or less, or set memory 243 GiB or less and add ' +
        'r5.8xlarge to instanceTypes (243.2 GiB usable).',
    );
    expect(() => estimateCost(job(243), { instanceTypes: [...DEFAULTS.split(', '), 'r5.8xlarge'] })).not.toThrow();
  });

  test('keeps to the architecture of the types given', () => {
    const m = message(job(200), ['r7g.xlarge', 'r7g.2xlarge']);
    expect(m).toContain('Fix: add r7g.8xlarge to instanceTypes');
    expect(() => estimateCost(job(200), { instanceTypes: ['r7g.xlarge', 'r7g.2xlarge', 'r7g.8xlarge'] })).not.toThrow();
  });

  test('names vCPUs and GPUs when they are what does not fit', () => {
    const gpus = message(job(14, { gpus: 2 }), ['g5.xlarge']);
    expect(gpus).toContain('the most GPUs is 1, on g5.xlarge');
    expect(gpus).toContain('no Fargate size (Fargate has no GPUs)');
    // Two GPUs a job: g4dn.12xlarge runs two of them for $3.912, the cheapest per job-hour.
    expect(gpus).toContain('Fix: add g4dn.12xlarge to instanceTypes');
    expect(() => estimateCost(job(14, { gpus: 2 }), { instanceTypes: ['g5.xlarge', 'g4dn.12xlarge'] })).not.toThrow();
    const vcpus = message(job(8, { vcpus: 64 }), ['c6i.xlarge']);
    expect(vcpus).toContain('the most vCPUs is 4, on c6i.xlarge');
    expect(vcpus).toContain('no Fargate size (Fargate sizes go up to 16 vCPUs)');
    expect(vcpus).toContain('No instance type in the catalog (x86_64) fits it either.');
    expect(vcpus).toContain('Fix: set vcpus 16 or less');
    expect(() => estimateCost(job(8, { vcpus: 16 }), { instanceTypes: ['c6i.xlarge'] })).not.toThrow();
  });

  test('a front end names its own inputs and the memory in GiB', () => {
    expect(() =>
      estimateCost(
        job(300),
        {},
        {
          inputNames: {
            ...LIBRARY_INPUT_NAMES,
            vcpus: '--vcpus',
            memory: '--memory-gib',
            instanceTypes: '--instance-types',
            areFlags: true,
          },
        },
      ),
    ).toThrow(
      /^--vcpus 4 --memory-gib 300 fits none .* Fix: set --memory-gib 121 or less, or set --memory-gib 243 or less and add r5\.8xlarge to --instance-types/,
    );
  });
});
