#!/usr/bin/env node
// The path a Python user takes, without PyPI: build the library with jsii, generate the Python package with
// jsii-pacmak, build its wheel offline, then load the packed assembly through @jsii/runtime (the process the Python
// package talks to) and make the calls of the README's Python example: build the minimal pipeline and synthesize it,
// query the fit and estimate the cost. Run by .ci/run as `npm run test:python`.
const { execFileSync } = require('child_process');
const assert = require('assert');
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } = require('fs');
const { join } = require('path');
const { JsiiHost, enumRef } = require('./jsii-host');

const root = join(__dirname, '..');
const out = join(root, 'dist-jsii');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
const run = (cmd, args, options = {}) => {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
};

/** A Python with setuptools and wheel: Debian's system Python has both; a Python first on PATH may lack `wheel`. */
function python() {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import setuptools, wheel'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'no python3 with setuptools and wheel found (Debian: apt-get install python3-setuptools python3-wheel)',
  );
}

async function main() {
  const pySrc = join(out, 'python');
  // `--reuse` (while working on this script) keeps a package already generated.
  if (!(process.argv.includes('--reuse') && existsSync(pySrc))) {
    rmSync(pySrc, { recursive: true, force: true });
    run('npm', ['run', 'build']);
    run('npx', ['jsii-pacmak', '--targets', 'python', '--code-only', '--outdir', out]);
  }
  const wheels = join(out, 'wheels');
  rmSync(wheels, { recursive: true, force: true });
  mkdirSync(wheels, { recursive: true });
  run(python(), [
    '-m',
    'pip',
    'wheel',
    '--no-build-isolation',
    '--no-deps',
    '--no-index',
    '--wheel-dir',
    wheels,
    pySrc,
  ]);
  const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
  assert.ok(wheel, 'no wheel built');
  assert.match(wheel, /^cdk_batch_pipelines-\d+\.\d+\.\d+-py3-none-any\.whl$/);
  const setup = readFileSync(join(pySrc, 'setup.py'), 'utf8');
  assert.match(setup, /"name": "cdk-batch-pipelines"/);
  assert.match(setup, new RegExp(`"aws-cdk-lib>=${version('aws-cdk-lib').replace(/\./g, '\\.')}`));
  console.log(`wheel: ${wheel}`);
  checkReadmePython(pySrc);

  // The tarballs the Python packages carry: ours (in the generated package), aws-cdk-lib's and constructs' (packed
  // from the npm cache, as their own Python packages carry them).
  const tarballs = join(out, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  // aws-cdk-lib's own jsii dependencies (not bundled in it) load first, as their Python packages do.
  const cdkLib = JSON.parse(readFileSync(join(root, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8'));
  const bundled = new Set(cdkLib.bundledDependencies ?? []);
  const deps = [
    'constructs',
    ...Object.keys(cdkLib.dependencies).filter(
      (d) => !bundled.has(d) && existsSync(join(root, 'node_modules', d, '.jsii')),
    ),
    'aws-cdk-lib',
  ];
  const tarballOf = (dep) => join(tarballs, `${dep.replace('@', '').replace('/', '-')}-${version(dep)}.tgz`);
  for (const dep of deps) {
    if (!existsSync(tarballOf(dep))) {
      run('npm', ['pack', '--silent', '--pack-destination', tarballs, `${dep}@${version(dep)}`]);
    }
  }
  const ours = join(pySrc, 'src', 'cdk_batch_pipelines', '_jsii', `${pkg.name}@${pkg.version}.jsii.tgz`);

  const host = new JsiiHost(root);
  try {
    for (const dep of deps) {
      await host.load(dep, version(dep), tarballOf(dep));
    }
    await host.load(pkg.name, pkg.version, ours);
    console.log(`loaded ${pkg.name}@${pkg.version} into ${host.hello}`);
    await readmeExample(host);
  } catch (e) {
    console.error(host.stderr);
    throw e;
  } finally {
    await host.close();
  }
}

/**
 * The README's Python block compiles, and every name it takes from `cdk_batch_pipelines` (classes, and their
 * methods, properties and keyword arguments it uses) exists in the generated package.
 */
function checkReadmePython(pySrc) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.strictEqual(blocks.length, 1, 'the README has one Python example');
  const generatedFile = join(pySrc, 'src', 'cdk_batch_pipelines', '__init__.py');
  // Every call to a class of the package binds to its generated signature: no more positional arguments than it
  // takes (jsii turns a trailing struct parameter into keyword arguments), every keyword known, every required one
  // given. Enum members and class properties the block reads exist.
  const check = `
import ast, json, sys
block = ast.parse(sys.stdin.read())
generated = ast.parse(open(sys.argv[1]).read())
classes = {c.name: c for c in generated.body if isinstance(c, ast.ClassDef)}
ours = set()
for node in ast.walk(block):
    if isinstance(node, ast.ImportFrom) and node.module == "cdk_batch_pipelines":
        ours.update(a.name for a in node.names)
problems, calls, reads = [], 0, 0
def members(cls):
    out = {}
    for n in cls.body:
        if isinstance(n, ast.FunctionDef):
            out[n.name] = n
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                if isinstance(t, ast.Name):
                    out[t.id] = n
    return out
for name in ours:
    if name not in classes:
        problems.append(f"imports {name}, which the package lacks")
for node in ast.walk(block):
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ours:
        reads += 1
        if node.attr not in members(classes.get(node.value.id, ast.ClassDef(body=[]))):
            problems.append(f"{node.value.id}.{node.attr} is not in the package")
    if not isinstance(node, ast.Call):
        continue
    f = node.func
    if isinstance(f, ast.Name) and f.id in ours:
        cls, fn, label = classes.get(f.id), "__init__", f.id
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ours:
        cls, fn, label = classes.get(f.value.id), f.attr, f"{f.value.id}.{f.attr}"
    else:
        continue
    d = members(cls).get(fn) if cls else None
    if not isinstance(d, ast.FunctionDef):
        problems.append(f"{label}() is not a method of the package")
        continue
    calls += 1
    a = d.args
    positional = [p.arg for p in a.posonlyargs + a.args][1:]
    required = positional[: len(positional) - len(a.defaults)]
    kwonly = {k.arg: v is None for k, v in zip(a.kwonlyargs, a.kw_defaults)}
    given = [k.arg for k in node.keywords]
    if len(node.args) > len(positional):
        problems.append(f"{label} takes {len(positional)} positional argument(s), the README passes {len(node.args)}")
    for k in given:
        if k not in positional and k not in kwonly:
            problems.append(f"{label} has no argument {k}")
    for r in required[len(node.args):]:
        if r not in given:
            problems.append(f"{label} needs {r}")
    for k, needed in kwonly.items():
        if needed and k not in given:
            problems.append(f"{label} needs {k}=")
print(json.dumps({"problems": problems, "calls": calls, "reads": reads, "names": len(ours)}))
`;
  const used = JSON.parse(execFileSync(python(), ['-c', check, generatedFile], { input: blocks[0], encoding: 'utf8' }));
  assert.deepStrictEqual(used.problems, [], 'the README Python example does not match the generated package');
  console.log(
    `README Python example: ${used.names} names, ${used.calls} calls bound to their generated signatures, ` +
      `${used.reads} class members found`,
  );
}

/**
 * The README's Python example, call for call: the minimal pipeline synthesized, the fit query and the cost estimate.
 * Keep the two in step (the README says so).
 */
async function readmeExample(h) {
  const L = 'cdk-batch-pipelines';
  const app = await h.create('aws-cdk-lib.App');
  const stack = await h.create('aws-cdk-lib.Stack', [app, 'MyPipeline']);
  const vpc = await h.create('aws-cdk-lib.aws_ec2.Vpc', [stack, 'Vpc', { maxAzs: 2 }]);
  const data = await h.create('aws-cdk-lib.aws_s3.Bucket', [stack, 'Data', { enforceSSL: true }]);
  const queue = await h.sinvoke(`${L}.JobQueue`, 'spotFirst', [
    stack,
    'Queue',
    await h.create(`${L}.Ec2Capacity`, [stack, 'Spot', { vpc }]),
    await h.create(`${L}.Ec2Capacity`, [
      stack,
      'OnDemand',
      { vpc, purchaseOption: enumRef(`${L}.PurchaseOption`, 'ON_DEMAND') },
    ]),
  ]);
  const image = await h.sinvoke('aws-cdk-lib.aws_ecs.ContainerImage', 'fromRegistry', [
    'public.ecr.aws/docker/library/busybox:1.36',
  ]);
  const processJob = await h.create(`${L}.Job`, [
    stack,
    'Process',
    {
      queues: [queue],
      image,
      command: ['echo', 'Ref::id', 'Ref::inputUri'],
      vcpus: 2,
      memory: await h.sinvoke('aws-cdk-lib.Size', 'gibibytes', [7]),
      timeout: await h.sinvoke('aws-cdk-lib.Duration', 'minutes', [30]),
    },
  ]);
  await h.invoke(data, 'grantReadWrite', [processJob]);
  const items = await h.create(`${L}.FanOut`, [
    'items',
    { itemFields: ['id', 'inputUri'], expectedItems: 100, maxConcurrency: 20 },
  ]);
  const step = await h.create(`${L}.WorkflowStep`, ['process', { job: processJob, forEach: items }]);
  await h.create(`${L}.Workflow`, [stack, 'Workflow', { steps: [step] }]);

  // Does a 4 vCPU / 32 GiB job fit the default instance types? Not the 32 GiB xlarge sizes.
  const fit = await h.sinvoke(`${L}.FitQuery`, 'onInstances', [
    { vcpus: 4, memory: await h.sinvoke('aws-cdk-lib.Size', 'gibibytes', [32]) },
    await h.sget(`${L}.Ec2Capacity`, 'DEFAULT_INSTANCE_TYPES'),
  ]);
  const misses = [];
  for (const miss of await h.get(fit, 'misses')) {
    misses.push(await h.get(miss, 'instanceType'));
  }
  assert.deepStrictEqual(misses, ['r5.xlarge', 'r6i.xlarge', 'r7i.xlarge']);
  console.log(`fit: a 32 GiB job misses ${misses.join(', ')}`);

  // What 500 samples a week of 4 h at 4 vCPU / 30 GiB cost a month.
  const estimate = await h.sinvoke(`${L}.CostModel`, 'estimate', [
    {
      itemsPerMonth: (500 * 52) / 12,
      hoursPerItem: 4,
      vcpus: 4,
      memory: await h.sinvoke('aws-cdk-lib.Size', 'gibibytes', [30]),
      maxConcurrency: 50,
    },
  ]);
  const table = await h.sinvoke(`${L}.CostModel`, 'formatTable', [estimate]);
  assert.match(table, /^Job lands on r5\.xlarge: 1 per instance, 97% packed$/m);
  assert.match(table, /^Batch Spot +\$813 +\$0\.38$/m);
  console.log(table);

  // Synthesized through the same process: the template has the pipeline's resources.
  const assembly = await h.invoke(app, 'synth');
  const template = await h.get(await h.invoke(assembly, 'getStackByName', ['MyPipeline']), 'template');
  const types = Object.values(template.Resources).map((r) => r.Type);
  for (const type of [
    'AWS::Batch::ComputeEnvironment',
    'AWS::Batch::JobQueue',
    'AWS::Batch::JobDefinition',
    'AWS::StepFunctions::StateMachine',
  ]) {
    assert.ok(types.includes(type), `the synthesized template has no ${type}`);
  }
  console.log(`synthesized MyPipeline: ${types.length} resources`);

  // A prop that would not deploy: the host gets the library's message, as a Python exception would carry it.
  await assert.rejects(async () => {
    const bad = await h.create(`${L}.FanOut`, ['bad', { maxConcurrency: 0, expectedItems: 10 }]);
    const badStep = await h.create(`${L}.WorkflowStep`, ['bad', { job: processJob, forEach: bad }]);
    await h.create(`${L}.Workflow`, [stack, 'Bad', { steps: [badStep] }]);
  }, /maxConcurrency 0 is not allowed; allowed: .* Fix: /);
  console.log('a bad prop: refused with its message');
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
