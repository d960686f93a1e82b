import { Construct } from 'constructs';
import { fail } from '../../private/errors';

/**
 * Characters a key prefix the state machine writes into an intrinsic (`States.Format('s3://bucket/<prefix>{}/…')`)
 * may not hold: `'` ends the string literal and `{`, `}` and `\` are Format's own syntax, so the definition would be
 * refused at deploy (or format something else). S3 also lists them among the characters to avoid in keys.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (reserved characters)
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html (characters to avoid)
 */
const RESERVED = /['{}\\]/g;

/** Refuses a prefix the workflow's states format into keys when it holds a character intrinsics reserve. */
export function checkStatePrefix(scope: Construct, prop: string, prefix: string): void {
  const reserved = [...new Set(prefix.match(RESERVED) ?? [])];
  if (reserved.length > 0) {
    const fixed = prefix.replace(RESERVED, '-');
    fail(scope, {
      prop,
      received: `'${prefix}', which holds ${reserved.map((c) => `'${c}'`).join(', ')}`,
      allowed:
        "a key prefix without ', {, } or \\ (Step Functions' intrinsic functions reserve them, S3 advises against them)",
      fix: `use '${fixed}'`,
    });
  }
}
