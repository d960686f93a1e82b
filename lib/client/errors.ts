import { markError } from '../core/validation-error';

/**
 * What kind of problem a `PipelineClientError` is.
 * - `input`: a request the client will not send (a run id Batch would refuse, a manifest URI that is not
 *   `s3://bucket/key`, a manifest that does not exist or is not a JSON array of items).
 * - `state`: a run in a state the request cannot act on (still running, too old to rerun, no outcomes, a manifest
 *   changed since the run started).
 * - `data`: something AWS holds that the client cannot read as the workflow writes it (a result file, a child
 *   execution's input).
 * @jsii ignore
 */
export type ClientErrorKind = 'input' | 'state' | 'data';

/**
 * The one error family of `PipelineClient`: every error it throws is one of these or an error of the AWS SDK.
 * Tell it apart with `PipelineErrors.isClientError` (it holds across two copies of the library), then read `kind`.
 * @jsii ignore
 */
export class PipelineClientError extends Error {
  /** What kind of problem it is. */
  public readonly kind: ClientErrorKind;

  constructor(kind: ClientErrorKind, message: string) {
    super(message);
    this.name = 'PipelineClientError';
    this.kind = kind;
    markError(this, 'client');
  }
}
