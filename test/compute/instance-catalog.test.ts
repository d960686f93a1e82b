import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { InstanceCatalog, InstanceCategory } from '../../lib';

describe('InstanceCatalog', () => {
  test('knows r6i.xlarge: 4 vCPU, 32 GiB installed, ~30.4 GiB usable by jobs, x86, priced', () => {
    const i = InstanceCatalog.tryLookup('r6i.xlarge')!;
    expect(i).toMatchObject({ vcpus: 4, memoryMiB: 32768, gpus: 0, architecture: ec2.InstanceArchitecture.X86_64 });
    // 32768 - 5% (1638.4) = 31129.6 -> 31129 MiB
    expect(i.usableMemoryMiB).toBe(31129);
    expect(i.onDemandHourlyUsd).toBeCloseTo(0.252, 4);
  });

  test('prices match the facts file for the reference types', () => {
    expect(InstanceCatalog.tryLookup('r5.2xlarge')!.onDemandHourlyUsd).toBeCloseTo(0.504, 4);
    expect(InstanceCatalog.tryLookup('r7i.xlarge')!.onDemandHourlyUsd).toBeCloseTo(0.2646, 4);
    expect(InstanceCatalog.tryLookup('m5.2xlarge')!.onDemandHourlyUsd).toBeCloseTo(0.384, 4);
    expect(InstanceCatalog.tryLookup('c5.4xlarge')!.onDemandHourlyUsd).toBeCloseTo(0.68, 4);
  });

  test('covers memory, general and compute x86 families large..8xlarge, a Graviton family and two GPU families', () => {
    const all = InstanceCatalog.all();
    for (const category of [
      InstanceCategory.MEMORY_OPTIMIZED,
      InstanceCategory.GENERAL_PURPOSE,
      InstanceCategory.COMPUTE_OPTIMIZED,
    ]) {
      const x86 = all.filter((i) => i.category === category && i.architecture === ec2.InstanceArchitecture.X86_64);
      const sizes = new Set(x86.map((i) => i.name.split('.')[1]));
      expect([...sizes]).toEqual(expect.arrayContaining(['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge']));
    }
    expect(all.some((i) => i.architecture === ec2.InstanceArchitecture.ARM_64)).toBe(true);
    const gpuFamilies = new Set(all.filter((i) => i.gpus > 0).map((i) => i.family));
    expect(gpuFamilies.size).toBeGreaterThanOrEqual(2);
  });

  test('usable memory keeps at least 32 MiB and 5% back', () => {
    expect(InstanceCatalog.usableMemoryMiB(512)).toBe(480); // 5% is 25.6 MiB < 32 MiB
    expect(InstanceCatalog.usableMemoryMiB(65536)).toBe(62259); // 65536 - 3276.8
  });

  test('unknown types are undefined, not guessed', () => {
    expect(InstanceCatalog.tryLookup('x99.huge')).toBeUndefined();
    expect(InstanceCatalog.family('x99')).toEqual([]);
  });

  test('c5 lists 9xlarge, the size AWS sells instead of 8xlarge', () => {
    expect(InstanceCatalog.family('c5').map((i) => i.name)).toEqual([
      'c5.large',
      'c5.xlarge',
      'c5.2xlarge',
      'c5.4xlarge',
      'c5.9xlarge',
    ]);
    expect(InstanceCatalog.tryLookup('c5.9xlarge')).toMatchObject({ vcpus: 36, memoryMiB: 72 * 1024 });
  });

  test('every entry states a positive price and the source is dated', () => {
    for (const i of InstanceCatalog.all()) {
      expect(i.onDemandHourlyUsd).toBeGreaterThan(0);
      expect(i.usableMemoryMiB).toBeLessThan(i.memoryMiB);
    }
    expect(InstanceCatalog.PRICE_SOURCE).toMatch(/aws\.amazon\.com\/ec2\/pricing.*2026/);
  });
});
