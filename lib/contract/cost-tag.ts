/**
 * The cost-allocation tag: the library tags what it creates with it, so that Cost Explorer (`batch-pipelines spend`)
 * and AWS Budgets (`PipelineBudget`) can select one pipeline's spending. Its value names the pipeline (by default the
 * stack's name). A user-defined tag reaches Cost Explorer and Budgets only once activated as a cost allocation tag,
 * and only for usage after that.
 * https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html
 *
 * No aws-cdk-lib and no AWS SDK here: this module is shared by what synthesizes and what runs.
 */
export const PIPELINE_TAG_KEY = 'batch-pipelines:pipeline';
