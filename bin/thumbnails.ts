#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ThumbnailsStack } from '../examples/thumbnails/thumbnails-stack';

// The second example: `npx cdk synth --app 'npx tsx bin/thumbnails.ts'`. Environment-agnostic, like bin/app.ts.
const app = new App();
new ThumbnailsStack(app, 'Thumbnails', {
  description: 'cdk-batch-pipelines example: photos resized as a Fargate Spot array job',
});
app.synth();
