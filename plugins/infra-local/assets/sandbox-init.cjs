'use strict';
/**
 * Runs first inside a confined replica (infra-local's sandbox): the sandbox has a network of its
 * own, so the job's port is out of everyone's reach; this serves it on a Unix socket the kernel
 * (and nobody else) can open, starts the job, and ends with it.
 *
 *   node sandbox-init.cjs <socket path | -> <port> -- <command…>
 */
const net = require('node:net');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { constants } = require('node:os');

const [socketPath, port, separator, ...command] = process.argv.slice(2);
if (separator !== '--' || command.length === 0) {
  console.error('sandbox-init: usage: sandbox-init.cjs <socket|-> <port> -- <command…>');
  process.exit(2);
}

let server;
if (socketPath !== '-') {
  fs.rmSync(socketPath, { force: true });
  server = net.createServer((client) => {
    const upstream = net.connect(Number(port), '127.0.0.1');
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.pipe(upstream).pipe(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(socketPath);
}

const job = spawn(command[0], command.slice(1), { stdio: 'inherit' });
job.on('error', (error) => {
  console.error(`sandbox-init: could not start ${command[0]}: ${error.message}`);
  process.exit(127);
});
// The target signals the whole process group, the job included: stop taking connections and
// let the ones open finish while the job drains.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => server?.close());
job.on('exit', (code, signal) => {
  server?.close();
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  // Report a signal as one, so the target sees how the job ended.
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
});
