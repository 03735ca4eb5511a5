/**
 * storage-local: the storage backend `local`. Volumes are directories under one root on this
 * machine, with a quota each; every file path is confined to its volume (see volume-path.ts).
 * See docs/usage.md for operators and local-storage.ts for the behaviour.
 */
import { mkdir } from 'node:fs/promises';
import { definePlugin } from 'spindle/plugin-sdk';
import { resolveSettings, type StorageLocalConfig } from './config.js';
import { BACKEND_NAME, LocalStorage } from './local-storage.js';

export default definePlugin<StorageLocalConfig>({
  async activate(ctx) {
    const settings = resolveSettings(ctx.config, ctx.dataDir);
    await mkdir(settings.root, { recursive: true });
    ctx.storage.registerBackend(BACKEND_NAME, new LocalStorage(settings));
    ctx.logger.info(settings, `storage backend ${BACKEND_NAME} serves volumes under ${settings.root}`);
  },
});
