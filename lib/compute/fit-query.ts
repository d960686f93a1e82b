import { fitOnFargateCapacity } from './capacity-fit';
import {
  FargateSize,
  FitResult,
  fitOnFargate,
  fitOnInstances,
  isValidFargateSize,
  JobResources,
  nearestFargateSizes,
} from './fit';

/**
 * The fit query as static methods, for every language the library is built for (jsii packages classes, not free
 * functions): how a job fits instance types and Fargate. The free functions above do the same in TypeScript. Each
 * method ends with a parameter that is not a struct, so Python passes the job's size positionally.
 */
export class FitQuery {
  /** How a job of `request` size fits each of `instanceTypes` (names the catalog knows, e.g. `r6i.xlarge`). */
  public static onInstances(request: JobResources, instanceTypes: string[]): FitResult {
    return fitOnInstances(request, instanceTypes);
  }

  /**
   * How a job of `request` size fits Fargate: the smallest valid task size that holds it.
   * @param maxvCpus the compute environment's maxvCpus, when it should be checked too
   */
  public static onFargate(request: JobResources, maxvCpus?: number): FitResult {
    return maxvCpus === undefined ? fitOnFargate(request) : fitOnFargateCapacity(request, maxvCpus);
  }

  /** Whether `vcpus` and `memoryMiB` are one of Fargate's task sizes. */
  public static isValidFargateSize(vcpus: number, memoryMiB: number): boolean {
    return isValidFargateSize(vcpus, memoryMiB);
  }

  /** The valid Fargate sizes nearest to `vcpus` and `memoryMiB`. */
  public static nearestFargateSizes(vcpus: number, memoryMiB: number): FargateSize[] {
    return nearestFargateSizes(vcpus, memoryMiB);
  }

  private constructor() {}
}
