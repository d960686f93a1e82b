import { BatchClient } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PipelineClient } from '../../lib';

/** A PipelineClient on SDK clients that aws-sdk-client-mock intercepts, never sleeping between retries. */
export function mockedPipelineClient(): PipelineClient {
  return new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    sleep: async () => undefined,
  });
}
