import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GenomicsPipelineStack } from '../examples/genomics/genomics-pipeline-stack';
const app = new App({ builtinCloudFormationValidation: false });
new GenomicsPipelineStack(app, 'G');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try { app.synth(); console.log('no throw'); } catch (e) { console.log(String(e).slice(0, 6000)); }
