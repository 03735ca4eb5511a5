/**
 * Every event a plugin can hear with `ctx.events.on(pattern, handler)`: its type, and what it
 * means. The type's first segment is its family, which is also the hook it fires on
 * (`job.running` on `events.job`). `event.data` always has `subject` (what the event is about,
 * e.g. `adder@1.0.0`) and `outcome` (`ok` or `error`); the extra fields are listed per event.
 * Secrets never appear in events. The kernel fires nothing outside this list; a new event is a
 * minor bump of the plugin API version.
 */
export const EVENT_TYPES = Object.freeze({
  'job.deployed': 'a job version was accepted and queued (PENDING); data: jobId, owner',
  'job.requeued': 'a job in a final state was queued again (redeploy, restart recovery)',
  'job.scheduled': 'a scheduler placed the job on an agent and its resources are reserved',
  'job.preparing': 'the job type is preparing the job (venv, image) for its target',
  'job.running': 'every replica answers its health check (service) or the job started (batch)',
  'job.restarted': 'the target restarted a crashed replica; the job stays RUNNING',
  'job.terminating': 'the job is being stopped (delete, redeploy)',
  'job.terminated': 'the job was stopped on request',
  'job.succeeded': 'a batch job exited 0',
  'job.failed': 'the job failed (could not prepare or start, exited non-zero, crash-looped); data: reason',
  'job.cancelled': 'the job was deleted before it started',
  'job.lost': 'the kernel no longer finds the job on its target (after a restart or a target swap)',
  'job.pending': 'a job went back to waiting (its binding replica was lost before it started)',
  'job.deleted': 'the job and its files were removed',
  'job.refused': 'a deploy, delete or redeploy was refused (permissions, validation, maintenance); data: error',
  'plugin.installed': 'a plugin version was installed; data: source, sha256',
  'plugin.install-refused': 'an install was refused before anything was written; data: error',
  'plugin.activated': 'a plugin version became active with no version active before',
  'plugin.swapped': 'a new version (or the same version with a new config) took over; data: from, to',
  'plugin.failed': 'a version failed to activate or was taken out of service; data: error, stillActive',
  'plugin.uninstalled': 'a plugin version was removed',
  'plugin.config-changed': 'the config was changed (secrets masked); data: config',
  'plugin.pinned': 'a version was pinned',
  'plugin.unpinned': 'the pin was removed',
  'plugin.enabled': 'the plugin was enabled',
  'plugin.disabled': 'the plugin was disabled',
  'plugin.action': "an operator ran one of the plugin's actions",
  'plugin.refused': 'a plugin change was refused (permissions, validation, maintenance); data: error',
  'user.signedUp': 'a user signed up through an auth plugin (ctx.auth.signedUp); data: provider',
  'volume.created': 'a volume was created; data: quotaBytes',
  'volume.deleted': 'a volume and its files were removed',
  'volume.cloned': 'a volume was cloned into a new one; data: source',
  'volume.shared': 'a volume was shared with a user or group; data: grantee, mode',
  'volume.unshared': 'a share was removed; data: grantee',
  'volume.quotaChanged': "a volume's quota was changed; data: quotaBytes",
  'volume.fileWritten': 'a file was uploaded into a volume; data: path, size',
  'volume.fileDeleted': 'a file or directory was removed from a volume; data: path',
  'volume.fileRenamed': 'a file was moved inside a volume; data: from, to',
  'volume.dirCreated': 'a directory was created in a volume; data: path',
  'volume.refused': 'a volume change was refused (permissions, quota, maintenance); data: error',
  'system.started': 'the kernel finished booting; data: version',
  'system.stopping': 'the kernel is shutting down',
  'system.maintenance-on': 'maintenance mode was switched on; data: message',
  'system.maintenance-off': 'maintenance mode was switched off',
  'system.refused': 'a system change was refused; data: error',
} as const);

export type KernelEventType = keyof typeof EVENT_TYPES;

/** The families, each fired on its own hook (`events.<family>`). */
export const EVENT_FAMILIES = ['job', 'plugin', 'user', 'volume', 'system'] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];

export function isKernelEventType(type: string): type is KernelEventType {
  return Object.hasOwn(EVENT_TYPES, type);
}
