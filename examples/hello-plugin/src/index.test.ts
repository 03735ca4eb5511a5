import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

let kernel: TestKernel;
afterEach(() => kernel.close());

describe('hello-plugin', () => {
  it('greets with the configured greeting', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never, config: { greeting: 'Hi' } });
    const res = await kernel.request('GET', '/hello/Ada');
    expect(res.body).toEqual({ message: 'Hi, Ada!', version: '1.0.0' });
  });

  it('uses the schema default when no greeting is set', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    expect((await kernel.request('GET', '/hello/Grace')).body).toMatchObject({ message: 'Hello, Grace!' });
  });

  it('refuses a bad name with a 400 and the reason', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    await expect(kernel.request('GET', '/hello/<script>')).rejects.toMatchObject({
      status: 400,
      code: 'KRN_ERR_PLUGIN_REJECTED',
    });
  });

  it('counts plugin events and reports them through its action', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    await kernel.emit('plugin.installed', { name: 'x' });
    await kernel.emit('job.deployed', {});
    await kernel.emit('plugin.swapped', { name: 'x' });
    expect(await kernel.action('count-events')).toEqual({ heard: 2 });
  });

  it('refuses config that does not match the schema', async () => {
    kernel = createTestKernel();
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { greeting: '' } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
  });

  it('leaves nothing behind when deactivated', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    expect(await kernel.ledger()).toMatchObject({ route: 1, tap: 1, action: 1 });
    await kernel.deactivate();
    expect(kernel.hooks['events.plugin'].taps).toHaveLength(0);
  });
});
