import { Size } from 'aws-cdk-lib';
import { FitLimit, fitOnFargate, fitOnInstances, isValidFargateSize, nearestFargateSizes } from '../../lib';

describe('fit query on instance types', () => {
  test('a 32 GiB job does not fit an r6i.xlarge (32 GiB installed, ~30.4 GiB usable)', () => {
    const r = fitOnInstances({ vcpus: 4, memory: Size.gibibytes(32) }, ['r6i.xlarge']);
    expect(r.fits).toBe(false);
    expect(r.placements).toEqual([]);
    expect(r.largestUsableMemoryMiB).toBe(31129);
    expect(r.reason).toContain('r6i.xlarge: needs 32768 MiB, 31129 MiB usable of 32768 MiB installed');
  });

  test('a 30 GiB job fits an r6i.xlarge, one per instance, packing ~97%', () => {
    const r = fitOnInstances({ vcpus: 4, memory: Size.gibibytes(30) }, ['r6i.xlarge']);
    expect(r.fits).toBe(true);
    expect(r.best).toMatchObject({ instanceType: 'r6i.xlarge', jobsPerInstance: 1 });
    // vCPU share 4/4 = 1, memory share 30/32 = 0.9375; mean 0.96875
    expect(r.best!.packingEfficiency).toBeCloseTo(0.96875, 5);
  });

  test('a 32 GiB job on an r6i.2xlarge runs one per instance at ~50%; 30 GiB runs two per instance', () => {
    const big = fitOnInstances({ vcpus: 4, memory: Size.gibibytes(32) }, ['r6i.2xlarge']);
    expect(big.best).toMatchObject({ jobsPerInstance: 1, limitedBy: FitLimit.MEMORY });
    // vCPU 4/8 = 0.5, memory 32/64 = 0.5
    expect(big.best!.packingEfficiency).toBeCloseTo(0.5, 5);
    const right = fitOnInstances({ vcpus: 4, memory: Size.gibibytes(30) }, ['r6i.2xlarge']);
    expect(right.best).toMatchObject({ jobsPerInstance: 2 });
    expect(right.best!.packingEfficiency).toBeCloseTo(0.96875, 5);
  });

  test('placements are ordered best packing first, and vCPU-bound jobs say so', () => {
    const r = fitOnInstances({ vcpus: 8, memory: Size.gibibytes(8) }, ['r6i.4xlarge', 'c6i.4xlarge']);
    expect(r.placements.map((p) => p.instanceType)).toEqual(['c6i.4xlarge', 'r6i.4xlarge']);
    expect(r.best).toMatchObject({ jobsPerInstance: 2, limitedBy: FitLimit.VCPUS });
  });

  test('GPUs: a 1-GPU job fits g5.xlarge and counts the GPU share; a 2-GPU job needs g5.12xlarge', () => {
    const one = fitOnInstances({ vcpus: 4, memory: Size.gibibytes(14), gpus: 1 }, ['g5.xlarge', 'r6i.xlarge']);
    expect(one.placements.map((p) => p.instanceType)).toEqual(['g5.xlarge']);
    expect(one.misses).toEqual([{ instanceType: 'r6i.xlarge', reason: 'needs 1 GPU, has 0' }]);
    const two = fitOnInstances({ vcpus: 8, memory: Size.gibibytes(32), gpus: 2 }, ['g5.xlarge', 'g5.12xlarge']);
    expect(two.best).toMatchObject({ instanceType: 'g5.12xlarge', jobsPerInstance: 2, limitedBy: FitLimit.GPUS });
  });

  test('unknown instance types are reported and left out', () => {
    const r = fitOnInstances({ vcpus: 1, memory: Size.gibibytes(1) }, ['zz9.large', 'm6i.large']);
    expect(r.unknownInstanceTypes).toEqual(['zz9.large']);
    expect(r.placements.map((p) => p.instanceType)).toEqual(['m6i.large']);
  });
});

describe('fit query on Fargate', () => {
  test.each([
    [0.25, 512, true],
    [4, 30720, true],
    [4, 32768, false],
    [16, 122880, true],
    [8, 20480, true],
    [8, 18432, false],
  ])('%p vCPU / %p MiB valid: %p', (vcpus, mem, valid) => {
    expect(isValidFargateSize(vcpus, mem)).toBe(valid);
    expect(fitOnFargate({ vcpus, memory: Size.mebibytes(mem) }).fits).toBe(valid);
  });

  test('an invalid size names the nearest valid sizes, up and down', () => {
    expect(nearestFargateSizes(4, 32768)).toEqual([
      { vcpus: 8, memoryMiB: 32768 },
      { vcpus: 4, memoryMiB: 30720 },
    ]);
    const r = fitOnFargate({ vcpus: 4, memory: Size.gibibytes(32) });
    expect(r.reason).toBe(
      '4 vCPU / 32768 MiB is not a valid Fargate size; nearest valid: 8 vCPU / 32768 MiB or 4 vCPU / 30720 MiB',
    );
  });

  test('Fargate has no GPUs', () => {
    const r = fitOnFargate({ vcpus: 4, memory: Size.gibibytes(16), gpus: 1 });
    expect(r.fits).toBe(false);
    expect(r.reason).toBe('Fargate has no GPUs (asked for 1)');
  });
});
