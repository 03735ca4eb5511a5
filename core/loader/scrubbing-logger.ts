import type { Logger } from 'pino';
import type { PluginLogger } from '../../plugin-sdk/context.js';
import { SECRET_MASK } from '../config/plugin-config.js';

function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    return out;
  }
  if (value instanceof Error)
    return scrub({ type: value.name, message: value.message, stack: value.stack }, secrets, depth);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets, depth + 1)]));
}

/**
 * The plugin's logger. When its config holds `x-secret` values, every log call is scrubbed of
 * them, so even a plugin that logs its own config never writes a secret to the log.
 */
export function scrubbingLogger(logger: Logger, secrets: readonly string[]): PluginLogger {
  if (secrets.length === 0) return logger as unknown as PluginLogger;
  const call = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) =>
    msg === undefined
      ? logger[level](scrub(obj, secrets) as object)
      : logger[level](scrub(obj, secrets) as object, scrub(msg, secrets) as string);
  return {
    trace: call('trace'),
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    child: (bindings) => scrubbingLogger(logger.child(scrub(bindings, secrets) as Record<string, unknown>), secrets),
  };
}
