import { App } from 'aws-cdk-lib';
import { HandWrittenGenomicsStack } from './hand-written-stack';

const app = new App();
new HandWrittenGenomicsStack(app, 'HandWrittenGenomics');
app.synth();
