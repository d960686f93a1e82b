#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { genomicsPropsFromContext } from '../examples/genomics/context';
import { GenomicsPipelineStack } from '../examples/genomics/genomics-pipeline-stack';

// Environment-agnostic on purpose: no account or region lookups, so `cdk synth` works offline without credentials.
const app = new App();
new GenomicsPipelineStack(app, 'GenomicsPipeline', {
  description: 'cdk-batch-pipelines example: genomics pipeline on AWS Batch (Spot first, On-Demand fallback)',
  ...genomicsPropsFromContext(app),
});
app.synth();
