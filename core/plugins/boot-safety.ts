import type { Logger } from 'pino';
import type { StateStore } from '../state/store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import { ACTIVATING_SETTING } from './plugin-activation.js';

interface Activating {
  name: string;
  version: string;
  isolated: boolean;
  pid: number;
  at: string;
}

/**
 * At boot, before any plugin is activated: a version the last kernel was activating when it
 * stopped (it hung, exited or crashed inside `activate()`, or was killed there) is marked `failed`
 * with that reason and is not activated again, so a plugin cannot keep the kernel from booting.
 * The operator can retry it (`spindle plugin enable`, `pin`) or uninstall it.
 */
export async function failInterruptedActivation(deps: {
  store: StateStore;
  activity: ActivityRecorder;
  logger: Logger;
}): Promise<string | undefined> {
  const left = await deps.store.getSetting<Activating | null>(ACTIVATING_SETTING);
  if (!left) return undefined;
  await deps.store.putSetting(ACTIVATING_SETTING, null);
  const record = await deps.store.getPlugin(left.name, left.version);
  if (!record) return undefined;
  const reason = `the kernel (pid ${left.pid}) stopped while this version's activate() ran (started ${left.at}): it hung, exited or crashed the kernel, so it is not activated again; retry it with \`spindle plugin enable ${left.name}\`, or uninstall it`;
  await deps.store.setPluginState(left.name, left.version, 'failed', reason);
  deps.logger.error({ plugin: left.name, version: left.version }, reason);
  await deps.activity.record({
    actor: 'kernel',
    action: 'plugin.failed',
    subject: `${left.name}@${left.version}`,
    plugin: left.name,
    outcome: 'error',
    details: { error: reason },
  });
  return `${left.name}@${left.version}`;
}
