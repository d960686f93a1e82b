import { Annotations, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { fitOnFargate, fitOnInstances, FitResult, JobResources } from './fit';
import { count } from '../private/plural';

/** Warns once per capacity that its types unknown to the catalog cannot be checked. */
export function warnUnknownInstanceTypes(scope: IConstruct, unknown: string[]): void {
  Annotations.of(scope).addWarningV2(
    'cdk-batch-pipelines:unknown-instance-type',
    `${scope.node.path}: instance types ${unknown.join(', ')} are not in the instance catalog, so jobs ` +
      'cannot be checked against them; they are left out of fit checks and estimates. Use types from ' +
      'InstanceCatalog.all(), or acknowledge this warning if you know they fit.',
  );
}

/** Where a job fits among an EC2 capacity's instance types, within its maxvCpus. */
export function fitOnEc2Capacity(
  request: JobResources,
  instanceTypeNames: string[],
  unknownTypes: string[],
  maxvCpus: number,
): FitResult {
  const result = { ...fitOnInstances(request, instanceTypeNames), unknownInstanceTypes: [...unknownTypes] };
  if (!Token.isUnresolved(maxvCpus) && request.vcpus > maxvCpus) {
    const reason = `needs ${count(request.vcpus, 'vCPU')} but maxvCpus is ${maxvCpus}`;
    return {
      ...result,
      fits: false,
      placements: [],
      best: undefined,
      misses: [...result.misses, ...result.placements.map((p) => ({ instanceType: p.instanceType, reason }))],
      reason,
    };
  }
  return result;
}

/** Whether a job fits Fargate's sizes, within a Fargate capacity's maxvCpus. */
export function fitOnFargateCapacity(request: JobResources, maxvCpus: number): FitResult {
  const result = fitOnFargate(request);
  if (result.fits && request.vcpus > maxvCpus) {
    return { ...result, fits: false, reason: `needs ${count(request.vcpus, 'vCPU')} but maxvCpus is ${maxvCpus}` };
  }
  return result;
}
