import { Aws } from 'aws-cdk-lib';

/**
 * DefinitionSubstitutions of a state machine: ARNs and names go in as `${key}` placeholders that CloudFormation fills
 * in, so the definition stays one string instead of a `Fn::Join` of many pieces.
 */
export class Substitutions {
  public readonly values: Record<string, string> = {};

  /** A `${key}` placeholder for `value`; the same value always gets the same key. */
  public of(value: string, hint: string): string {
    for (const [key, v] of Object.entries(this.values)) {
      if (v === value) {
        return `\${${key}}`;
      }
    }
    const base = hint.replace(/[^A-Za-z0-9_]/g, '_');
    let key = base;
    for (let i = 2; key in this.values; i++) {
      key = `${base}_${i}`;
    }
    this.values[key] = value;
    return `\${${key}}`;
  }

  /**
   * A placeholder for a whole service integration ARN (`arn:<partition>:states:::batch:submitJob.sync`): a state
   * every step repeats names it in a few characters, and CloudFormation fills it in.
   */
  public integration(resource: string, hint: string): string {
    return this.of(`arn:${Aws.PARTITION}:states:::${resource}`, hint);
  }

  public partition(): string {
    return this.of(Aws.PARTITION, 'Partition');
  }
}
