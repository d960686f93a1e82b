import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GenomicsImages, GenomicsPipelineStackProps, NetworkMode } from './genomics-pipeline-stack';
import { InstanceCatalog, InstanceCategory } from '../../lib';

/** The knobs a lab changes with `cdk synth -c key=value`, and what each accepts. */
export const CONTEXT_KEYS = {
  maxConcurrentJobs: 'a whole number from 1 to 1000',
  instanceFamilies: 'comma-separated memory-optimized x86 families the catalog knows (r5, r6i, r7i)',
  alignImage: 'a container image reference',
  callVariantsImage: 'a container image reference',
  qcImage: 'a container image reference',
  aggregateImage: 'a container image reference',
  logRetentionDays:
    'one of CloudWatch Logs retention periods in days (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …)',
  networkMode: "'nat' or 'endpoints'",
  notificationEmail: 'an e-mail address',
  compliance: "'true' or 'false'",
  monthlyBudgetUsd: 'a number of US dollars above 0',
} as const;

/** Thrown for a context value the example cannot use. */
export class ContextError extends Error {
  constructor(key: string, received: unknown, allowed: string, fix: string) {
    super(`cdk context ${key}: '${String(received)}' is not allowed; allowed: ${allowed}. Fix: ${fix}`);
    this.name = 'ContextError';
  }
}

const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** Reads and validates the example's context values; unset keys keep the stack's defaults. */
export function genomicsPropsFromContext(scope: Construct): GenomicsPipelineStackProps {
  const get = (key: keyof typeof CONTEXT_KEYS): string | undefined => {
    const v = scope.node.tryGetContext(key);
    return v === undefined || v === null ? undefined : String(v);
  };
  const props: { -readonly [K in keyof GenomicsPipelineStackProps]: GenomicsPipelineStackProps[K] } = {};

  const jobs = get('maxConcurrentJobs');
  if (jobs !== undefined) {
    const n = Number(jobs);
    if (!/^\d+$/.test(jobs) || n < 1 || n > 1000) {
      throw new ContextError('maxConcurrentJobs', jobs, CONTEXT_KEYS.maxConcurrentJobs, 'e.g. -c maxConcurrentJobs=50');
    }
    props.maxConcurrentJobs = n;
  }

  const families = get('instanceFamilies');
  if (families !== undefined) {
    const list = families
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0);
    for (const f of list) {
      const known = InstanceCatalog.family(f)[0];
      if (!known || known.category !== InstanceCategory.MEMORY_OPTIMIZED || known.architecture !== 'x86_64') {
        throw new ContextError(
          'instanceFamilies',
          f,
          CONTEXT_KEYS.instanceFamilies,
          'e.g. -c instanceFamilies=r6i,r7i',
        );
      }
    }
    if (list.length === 0) {
      throw new ContextError(
        'instanceFamilies',
        families,
        CONTEXT_KEYS.instanceFamilies,
        'e.g. -c instanceFamilies=r6i,r7i',
      );
    }
    props.instanceFamilies = list;
  }

  const images: { -readonly [K in keyof GenomicsImages]?: string } = {};
  for (const [key, step] of [
    ['alignImage', 'align'],
    ['callVariantsImage', 'callVariants'],
    ['qcImage', 'qc'],
    ['aggregateImage', 'aggregate'],
  ] as const) {
    const v = get(key);
    if (v !== undefined) {
      if (!IMAGE.test(v)) {
        throw new ContextError(
          key,
          v,
          CONTEXT_KEYS[key],
          `e.g. -c ${key}=123456789012.dkr.ecr.us-east-1.amazonaws.com/${step}:1.0`,
        );
      }
      images[step] = v;
    }
  }
  if (Object.keys(images).length > 0) {
    props.images = images;
  }

  const retention = get('logRetentionDays');
  if (retention !== undefined) {
    const n = Number(retention);
    if (!RETENTION_DAYS.includes(n)) {
      throw new ContextError(
        'logRetentionDays',
        retention,
        CONTEXT_KEYS.logRetentionDays,
        'e.g. -c logRetentionDays=30',
      );
    }
    props.logRetention = n as logs.RetentionDays;
  }

  const network = get('networkMode');
  if (network !== undefined) {
    if (network !== NetworkMode.NAT && network !== NetworkMode.ENDPOINTS) {
      throw new ContextError('networkMode', network, CONTEXT_KEYS.networkMode, 'e.g. -c networkMode=endpoints');
    }
    props.networkMode = network;
  }

  const email = get('notificationEmail');
  if (email !== undefined) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new ContextError(
        'notificationEmail',
        email,
        CONTEXT_KEYS.notificationEmail,
        'e.g. -c notificationEmail=ops@example.org',
      );
    }
    props.notificationEmail = email;
  }

  const compliance = get('compliance');
  if (compliance !== undefined) {
    if (compliance !== 'true' && compliance !== 'false') {
      throw new ContextError('compliance', compliance, CONTEXT_KEYS.compliance, 'e.g. -c compliance=false');
    }
    props.compliance = compliance === 'true';
  }

  const budget = get('monthlyBudgetUsd');
  if (budget !== undefined) {
    const n = Number(budget);
    if (!/^\d+(\.\d+)?$/.test(budget) || !(n > 0)) {
      throw new ContextError(
        'monthlyBudgetUsd',
        budget,
        CONTEXT_KEYS.monthlyBudgetUsd,
        'e.g. -c monthlyBudgetUsd=2000',
      );
    }
    props.monthlyBudgetUsd = n;
  }
  return props;
}
