import type { BatchClient } from '@aws-sdk/client-batch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';

/**
 * The AWS plumbing every room of the client shares, written once: the SDK (loaded on first use), retry with backoff,
 * submit pacing, pagination and polling.
 */

/**
 * The AWS SDK, loaded when a client is first made: a CDK app imports this library to synthesize and should not pay
 * for loading the SDK (tens of milliseconds on every `cdk synth`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export function loadSdk() {
  return {
    batch: require('@aws-sdk/client-batch') as typeof import('@aws-sdk/client-batch'),
    sfn: require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn'),
    s3: require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'),
  };
}

/** The Service Quotas SDK, loaded apart: only `accountQuotas` (under `diagnose`) reads quotas. */
export function loadQuotasSdk() {
  return require('@aws-sdk/client-service-quotas') as typeof import('@aws-sdk/client-service-quotas');
}

/** The CloudWatch Logs SDK, loaded apart: only `logs` (and the report's failures) read job logs. */
export function loadLogsSdk() {
  return require('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs');
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The SDK modules, as `loadSdk` returns them. */
export type Sdk = ReturnType<typeof loadSdk>;

/** How the client waits; tests pass a fake. */
export type Sleep = (ms: number) => Promise<void>;

/** Attempts at a throttled (or 5xx) call before giving up. */
export const DEFAULT_MAX_THROTTLE_RETRIES = 8;

/** How the client polls a run: the interval starts at `initialMs` and grows by half each poll up to `maxMs`. */
export interface PollOptions {
  /**
   * The first interval between two looks, in milliseconds.
   * @default 5000
   */
  readonly initialMs?: number;
  /**
   * The longest interval, in milliseconds.
   * @default 60000
   */
  readonly maxMs?: number;
  /**
   * Stop after this many looks, done or not.
   * @default - until the run is done
   */
  readonly maxPolls?: number;
}

/** Throttling, a server-side fault or a dropped connection: worth another try after a pause. */
export function isRetryable(e: unknown): boolean {
  const err = e as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
    message?: string;
  };
  const status = err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode ?? 0;
  return (
    err?.name === 'TooManyRequestsException' ||
    err?.name === 'ThrottlingException' ||
    status === 429 ||
    status >= 500 ||
    // Network blips: a reset connection, a DNS answer that did not come, a timeout. A name that does not resolve
    // (ENOTFOUND) or a refused connection is a wrong endpoint or region, not worth retrying.
    err?.code === 'ECONNRESET' ||
    err?.code === 'EAI_AGAIN' ||
    err?.code === 'ETIMEDOUT' ||
    err?.name === 'TimeoutError' ||
    // A 5xx page that is not JSON (a proxy's or load balancer's) fails deserialization before any status is read.
    err?.name === 'SyntaxError' ||
    /too many requests|rate exceeded/i.test(err?.message ?? '')
  );
}

/** The HTTP status of an SDK error, when it has one. */
export function httpStatusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** The AWS clients and plumbing a room of the client works with. */
export class AwsCalls {
  /** The SDK modules (commands are made from the same copy of the SDK as the default clients). */
  public readonly sdk: Sdk = loadSdk();
  private nextSubmitAt = 0;
  private readonly minInterval: number;

  constructor(
    public readonly batch: BatchClient,
    public readonly sfn: SFNClient,
    public readonly s3: S3Client,
    public readonly sleep: Sleep,
    public readonly now: () => number,
    submitPerSecond: number,
    private readonly maxThrottleRetries: number,
    private quotasClient?: ServiceQuotasClient,
    private logsClient?: CloudWatchLogsClient,
  ) {
    this.minInterval = 1000 / submitPerSecond;
  }

  /** The Service Quotas SDK module (loaded on first use). */
  public get quotasSdk(): ReturnType<typeof loadQuotasSdk> {
    return loadQuotasSdk();
  }

  /**
   * The Service Quotas client: the one given, else one made on first use in the Batch client's Region (quotas are per
   * Region), with one SDK attempt as the other default clients.
   */
  public get quotas(): ServiceQuotasClient {
    this.quotasClient ??= new this.quotasSdk.ServiceQuotasClient({ maxAttempts: 1, region: this.batch.config.region });
    return this.quotasClient;
  }

  /** The CloudWatch Logs SDK module (loaded on first use). */
  public get logsSdk(): ReturnType<typeof loadLogsSdk> {
    return loadLogsSdk();
  }

  /**
   * The CloudWatch Logs client: the one given, else one made on first use in the Batch client's Region (a job's
   * awslogs driver writes to its own Region), with one SDK attempt as the other default clients.
   */
  public get logs(): CloudWatchLogsClient {
    this.logsClient ??= new this.logsSdk.CloudWatchLogsClient({ maxAttempts: 1, region: this.batch.config.region });
    return this.logsClient;
  }

  /** Runs `fn`, backing off exponentially (with jitter) while AWS throttles or fails on its side. */
  public async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isRetryable(e) || attempt + 1 >= this.maxThrottleRetries) {
          throw e;
        }
        const base = Math.min(20_000, 200 * 2 ** attempt);
        await this.sleep(base / 2 + Math.floor(Math.random() * (base / 2)));
      }
    }
  }

  /** Waits until the next SubmitJob call is within the account's rate, then runs it (retried as `call`). */
  public async paced<T>(fn: () => Promise<T>): Promise<T> {
    const wait = this.nextSubmitAt - this.now();
    if (wait > 0) {
      await this.sleep(wait);
    }
    this.nextSubmitAt = Math.max(this.now(), this.nextSubmitAt) + this.minInterval;
    return this.call(fn);
  }

  /**
   * The pages of a paged list, one after another: `fetch(token)` reads one page, retried as `call`.
   *
   * One loop for every list rather than the SDK's `paginateListJobs` & co.: those refuse a client that is not an
   * `instanceof` the SDK copy they come from (`createPaginator` in @smithy/core), and this package bundles its own
   * copy of the SDK, so a `BatchClient` a user made from theirs would be refused.
   */
  public async *pages<P extends { nextToken?: string }>(
    fetch: (nextToken: string | undefined) => Promise<P>,
  ): AsyncGenerator<P> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.call(() => fetch(token));
      yield page;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  /** Every item of a paged list (see `pages`). */
  public async all<P extends { nextToken?: string }, T>(
    fetch: (nextToken: string | undefined) => Promise<P>,
    itemsOf: (page: P) => T[] | undefined,
  ): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages(fetch)) {
      out.push(...(itemsOf(page) ?? []));
    }
    return out;
  }

  /**
   * Looks until `done`, calling `onProgress` after each look (`look` may return undefined: not seen yet, look again).
   * The interval starts at `initialMs` and grows by half each poll up to `maxMs`, so a long run costs few calls.
   */
  public async poll<T>(
    look: (poll: number) => Promise<T | undefined>,
    done: (value: T) => boolean,
    onProgress: ((value: T) => void) | undefined,
    options: PollOptions,
  ): Promise<T> {
    let interval = options.initialMs ?? 5_000;
    const maxMs = options.maxMs ?? 60_000;
    for (let poll = 0; ; poll++) {
      const value = await look(poll);
      if (value !== undefined) {
        onProgress?.(value);
        if (done(value) || (options.maxPolls !== undefined && poll + 1 >= options.maxPolls)) {
          return value;
        }
      }
      await this.sleep(interval);
      interval = Math.min(maxMs, Math.round(interval * 1.5));
    }
  }
}
