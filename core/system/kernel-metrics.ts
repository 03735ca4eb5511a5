import { Counter, Gauge, Registry } from 'prom-client';
import type { PluginState } from '../state/store.js';

/** The kernel's Prometheus metrics; `/metrics` serves `registry`. */
export class KernelMetrics {
  readonly registry = new Registry();
  readonly swaps = new Counter({
    name: 'spindle_plugin_swaps_total',
    help: 'Hot swaps of an active plugin to another instance',
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'spindle_plugin_failures_total',
    help: 'Plugin load or activation failures',
    labelNames: ['plugin'],
    registers: [this.registry],
  });
  readonly installs = new Counter({
    name: 'spindle_plugin_installs_total',
    help: 'Plugin install attempts by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(countByState: () => Promise<Record<PluginState, number>>) {
    new Gauge({
      name: 'spindle_plugins',
      help: 'Installed plugin versions by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        for (const [state, count] of Object.entries(await countByState())) this.set({ state }, count);
      },
    });
  }
}
