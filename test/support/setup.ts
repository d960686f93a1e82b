import { createHash } from 'crypto';
import { renameSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { withRenderedDefinitions } from './asl';

// aws-local-stepfunctions uses Promise.withResolvers, which Node.js 20 lacks.
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// Every template a test inspects is kept (once per distinct content) for cfn-lint, which `npm test` runs on them all
// while the last tests run and at the end (test/support/templates-global.ts), whose global setup sets
// CFN_TEMPLATES_DIR.

const templatesDir = process.env.CFN_TEMPLATES_DIR;
if (templatesDir) {
  const fromStack = Template.fromStack.bind(Template);
  Template.fromStack = ((...args: Parameters<typeof Template.fromStack>) => {
    const template = fromStack(...args);
    const text = JSON.stringify(withRenderedDefinitions(template.toJSON()));
    const name = `${createHash('sha1').update(text).digest('hex').slice(0, 16)}.json`;
    // Written whole, then renamed: cfn-lint may start on the directory while other tests still run.
    const path = join(templatesDir, name);
    writeFileSync(`${path}.${process.pid}.tmp`, text);
    renameSync(`${path}.${process.pid}.tmp`, path);
    return template;
  }) as typeof Template.fromStack;
}
