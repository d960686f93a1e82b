#!/usr/bin/env node
// `npm test`: extracts the README's snippets into tests, then type-checks the project and runs jest at the same time
// (tsc takes ~9 s of one core, which jest's workers would otherwise wait behind). jest's output streams as it comes;
// tsc's is printed after jest's, and either failing fails the command. Arguments go to jest (`npm test -- test/jobs`).
const { spawn, spawnSync } = require('child_process');
const { join } = require('path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const snippets = spawnSync(process.execPath, [join(__dirname, 'readme-snippets.js')], { cwd: root, stdio: 'inherit' });
if (snippets.status !== 0) {
  process.exit(snippets.status ?? 1);
}

function run(command, args, stdio) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (e) => resolve({ status: 1, output: `${command}: ${e.message}\n` }));
    child.on('close', (status) => resolve({ status: status ?? 1, output }));
  });
}

(async () => {
  const [tsc, jest] = await Promise.all([
    run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], ['ignore', 'pipe', 'pipe']),
    run(bin('jest'), process.argv.slice(2), 'inherit'),
  ]);
  if (tsc.status !== 0) {
    process.stderr.write(`\ntsc -p tsconfig.json --noEmit failed:\n${tsc.output}`);
  }
  process.exit(tsc.status !== 0 ? tsc.status : jest.status);
})();
