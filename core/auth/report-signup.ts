import type { Logger } from 'pino';
import type { SignupEvent } from '../../plugin-sdk/hook-types.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';

/**
 * `ctx.auth.signedUp`: notify the `auth.postSignup` listeners without waiting (one that fails is
 * logged, never failing the signup), then log it and fire `user.signedUp`.
 */
export function reportSignup(
  deps: { hooks: KernelHooks; activity: ActivityRecorder; logger: Logger },
  plugin: string,
  event: SignupEvent,
): void {
  void deps.hooks['auth.postSignup']
    .promise(event)
    .catch((error: unknown) =>
      deps.logger.warn({ plugin, err: describeError(error) }, 'an auth.postSignup listener failed'),
    );
  const { principal, acceptLanguage } = event;
  void deps.activity.record({
    actor: principal.name,
    action: 'user.signedUp',
    subject: `user ${principal.name}`,
    plugin,
    details: { provider: principal.provider, ...(acceptLanguage ? { acceptLanguage } : {}) },
  });
}
