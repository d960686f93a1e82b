import { Template } from 'aws-cdk-lib/assertions';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A placeholder for a CloudFormation reference, shaped like the ARN of the resource it points to. */
function placeholder(resources: Record<string, { Type: string }>, logicalId: string, attribute?: string): string {
  const type = resources[logicalId]?.Type;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'AWS::Batch::JobQueue':
      return arn('batch', `job-queue/${logicalId}`);
    case 'AWS::Batch::JobDefinition':
      return arn('batch', `job-definition/${logicalId}:1`);
    case 'AWS::S3::Bucket':
      return attribute === 'Arn' ? `arn:aws:s3:::${logicalId.toLowerCase()}` : logicalId.toLowerCase();
    default:
      return attribute ? `${logicalId}.${attribute}` : logicalId;
  }
}

function render(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === 'string') {
    return value;
  }
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    const ref = v.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[ref] ?? placeholder(resources, ref);
  }
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    return placeholder(resources, id, attr);
  }
  if ('Fn::Sub' in v) {
    const [text, vars] = v['Fn::Sub'] as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
      name in vars ? render(vars[name], resources) : render({ Ref: name }, resources),
    );
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => render(p, resources)).join(sep);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/**
 * The plain Amazon States Language of the (only, or `index`th) state machine in a template: CloudFormation's
 * DefinitionString joined and its DefinitionSubstitutions filled in, as CloudFormation does, with references
 * replaced by placeholder ARNs. A placeholder without a substitution is an error, as it is at deploy.
 */
export function aslOf(template: Template, index = 0): Record<string, unknown> {
  const json = template.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const machines = Object.values(json.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const props = machines[index].Properties;
  const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  const text = render(props.DefinitionString, json.Resources).replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (!(key in substitutions)) {
      throw new Error(`the definition uses \${${key}}, which DefinitionSubstitutions does not define`);
    }
    return render(substitutions[key], json.Resources);
  });
  return JSON.parse(text);
}

/**
 * A copy of a template whose state machines carry their definition as CloudFormation will see it: substitutions
 * applied, references replaced by placeholder ARNs (as `aslOf` does). cfn-lint validates a definition but does not
 * apply DefinitionSubstitutions, so `arn:${Partition}:states:::…` would read as an invalid ARN to it.
 */
export function withRenderedDefinitions(json: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(json)) as {
    Resources?: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = copy.Resources ?? {};
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine' || r.Properties.DefinitionString === undefined) {
      continue;
    }
    const substitutions = (r.Properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    try {
      r.Properties.DefinitionString = render(r.Properties.DefinitionString, resources).replace(
        /\$\{([^}]+)\}/g,
        (whole, key: string) => (key in substitutions ? render(substitutions[key], resources) : whole),
      );
      delete r.Properties.DefinitionSubstitutions;
    } catch {
      // A reference render() does not know: leave the definition as it is.
    }
  }
  return copy as Record<string, unknown>;
}

/** The index `aslOf` takes for the state machine with this logical id. */
export function indexOfMachine(template: Template, logicalId: string): number {
  const json = template.toJSON() as { Resources: Record<string, { Type: string }> };
  const ids = Object.entries(json.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id);
  const index = ids.indexOf(logicalId);
  if (index < 0) {
    throw new Error(`no state machine ${logicalId} in the template (${ids.join(', ')})`);
  }
  return index;
}
