// A minimal jsii host: drives a jsii assembly through @jsii/runtime over its stdin/stdout protocol (one JSON request
// per line, one JSON response per line), the way the Python package's `jsii` runtime does. Used by
// scripts/python-package.js to prove the other-language path without PyPI.
// Protocol: https://github.com/aws/jsii (packages/@jsii/kernel/src/api.ts; packages/@jsii/python-runtime).
const { spawn } = require('child_process');
const { createInterface } = require('readline');
const { join } = require('path');

class JsiiHost {
  constructor(root) {
    this.child = spawn(process.execPath, [join(root, 'node_modules/@jsii/runtime/webpack/bin/jsii-runtime.js')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pending = [];
    this.stderr = '';
    this.child.stderr.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      if ('hello' in message) {
        this.hello = message.hello;
        return;
      }
      const next = this.pending.shift();
      if (next) {
        next(message);
      }
    });
  }

  /** Sends one request and returns its `ok` value; an `error` response throws it, with the kernel's stack. */
  request(req) {
    return new Promise((resolve, reject) => {
      this.pending.push((res) => {
        if ('error' in res) {
          reject(new Error(`${req.api} ${req.fqn ?? req.method ?? req.name ?? ''}: ${res.error}\n${res.stack ?? ''}`));
        } else if ('callback' in res) {
          reject(new Error(`unexpected callback from the runtime: ${JSON.stringify(res.callback)}`));
        } else {
          resolve(res.ok);
        }
      });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  load(name, version, tarball) {
    return this.request({ api: 'load', name, version, tarball });
  }

  create(fqn, args = []) {
    return this.request({ api: 'create', fqn, args, overrides: [], interfaces: [] });
  }

  invoke(objref, method, args = []) {
    return this.request({ api: 'invoke', objref, method, args }).then((r) => r.result);
  }

  sinvoke(fqn, method, args = []) {
    return this.request({ api: 'sinvoke', fqn, method, args }).then((r) => r.result);
  }

  get(objref, property) {
    return this.request({ api: 'get', objref, property }).then((r) => r.value);
  }

  sget(fqn, property) {
    return this.request({ api: 'sget', fqn, property }).then((r) => r.value);
  }

  close() {
    this.child.stdin.write(`${JSON.stringify({ exit: 0 })}\n`);
    this.child.stdin.end();
    return new Promise((resolve) => this.child.on('close', resolve));
  }
}

/** An enum member as the protocol passes it. */
const enumRef = (fqn, member) => ({ '$jsii.enum': `${fqn}/${member}` });

module.exports = { JsiiHost, enumRef };
