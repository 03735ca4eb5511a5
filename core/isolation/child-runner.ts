/**
 * The entry of an isolated plugin's process (`node <this file>`, forked by plugin-process.ts with
 * Node's permission model on). It loads the bundle like the kernel would, runs `activate` with the
 * ctx of child-context.ts, and answers the kernel's calls by handler id. Anything the plugin throws
 * outside a call ends this process only, which the kernel sees and reports.
 */

import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import { loadPluginModule } from '../loader/module-loader.js';
import { type ChildContext, createChildContext } from './child-context.js';
import { type FromChild, type ToChild, toWireError } from './ipc-protocol.js';

let plugin: DefinedPlugin | undefined;
let child: ChildContext | undefined;

function send(message: FromChild): void {
  if (process.connected) process.send!(message);
}

async function answer(id: number, work: () => unknown): Promise<void> {
  try {
    send({ t: 'result', id, ok: true, value: await work() });
  } catch (error) {
    send({ t: 'result', id, ok: false, error: toWireError(error) });
  }
}

function handle(message: ToChild): void {
  switch (message.t) {
    case 'ping':
      send({ t: 'pong', seq: message.seq });
      return;
    case 'activate':
      void answer(message.id, async () => {
        const { init } = message;
        plugin = loadPluginModule(init.bundleDir, init.manifest.main, init.manifest.name);
        child = createChildContext(init, send);
        await plugin.activate(child.ctx);
        return null;
      });
      return;
    case 'call':
      void answer(message.id, () => {
        const fn = child?.handlers.get(message.handler);
        if (!fn) throw new Error(`no handler ${message.handler} in this process`);
        return fn(...message.args);
      });
      return;
    case 'deactivate':
      void answer(message.id, async () => {
        child?.abort.abort();
        try {
          if (plugin?.deactivate && child) await plugin.deactivate(child.ctx);
        } finally {
          await child?.ledger.undoAll();
        }
        return null;
      });
      return;
    case 'ledger':
      void answer(message.id, () => child?.ledger.summary() ?? {});
      return;
  }
}

function fatal(error: unknown): void {
  send({ t: 'fatal', error: toWireError(error) });
  // Give the message a moment to leave, then end: the kernel restarts or fails this plugin.
  setTimeout(() => process.exit(70), 50).unref();
}

process.on('message', (message: ToChild) => handle(message));
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// The kernel is gone: nothing may outlive it.
process.on('disconnect', () => process.exit(0));
