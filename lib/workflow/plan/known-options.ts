import { Construct } from 'constructs';
import { checkKnownProps } from '../../private/known-props';
import {
  CHECKPOINT_LOCATION_KEYS,
  FAN_OUT_OPTIONS_KEYS,
  FanOut,
  MANIFEST_SOURCE_KEYS,
  MEMORY_ESCALATION_KEYS,
  RESULTS_DESTINATION_KEYS,
  WORKFLOW_STEP_OPTIONS_KEYS,
  WorkflowStep,
} from '../step';

/**
 * Refuses keys the steps' and fan-outs' options do not have, nested objects included (what a program that is not
 * type-checked may pass: `new FanOut('videos', { maxConcurency: 10 })` would leave maxConcurrency at 50). Steps and
 * fan-outs are values, not constructs: the message names the workflow and how the options are reached from it.
 */
export function checkKnownOptions(scope: Construct, steps: readonly WorkflowStep[], fanOuts: readonly FanOut[]): void {
  for (const step of steps) {
    const o = step._options;
    const at = `steps['${step.name}'].`;
    checkKnownProps(scope, 'WorkflowStepOptions', o, WORKFLOW_STEP_OPTIONS_KEYS, at);
    if (o.memoryEscalation) {
      checkKnownProps(scope, 'MemoryEscalation', o.memoryEscalation, MEMORY_ESCALATION_KEYS, `${at}memoryEscalation.`);
    }
    checkKnownProps(scope, 'CheckpointLocation', o.checkpoint, CHECKPOINT_LOCATION_KEYS, `${at}checkpoint.`);
  }
  for (const f of fanOuts) {
    const o = f._givenOptions;
    const at = `fanOut '${f.name}'.`;
    checkKnownProps(scope, 'FanOutOptions', o, FAN_OUT_OPTIONS_KEYS, at);
    checkKnownProps(scope, 'ManifestSource', o.manifest, MANIFEST_SOURCE_KEYS, `${at}manifest.`);
    checkKnownProps(scope, 'ResultsDestination', o.results, RESULTS_DESTINATION_KEYS, `${at}results.`);
  }
}
