#!/usr/bin/env node
import { main } from '../lib/cli/main';

// The AWS SDK warns on every run under Node.js 20 that later versions will need 22; the CLI supports 20 today.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  const name = warning instanceof Error ? warning.name : type;
  if (name === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) {
    return;
  }
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  // Carriage return and "erase line" (ECMA-48 EL, CSI 2 K): the progress line is redrawn where it stands.
  status: (text) => process.stdout.write(`\r\x1b[2K${text}`),
  isTTY: Boolean(process.stdout.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`batch-pipelines: ${error.message}\n`);
    process.exitCode = 1;
  },
);
