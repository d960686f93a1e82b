import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * `sfn.Condition` under a short name, so that Choice rules read as the formulas they are
 * (`C.and(C.isPresent(p), C.isString(p))`). The one alias the state builders share.
 */
export const C = sfn.Condition;
