/** What a delivery says: the one-line summary and the body for each endpoint format. */
import type { KernelEvent } from 'spindle/plugin-sdk';

export type Format = 'json' | 'slack' | 'teams';

export const TEST_EVENT_TYPE = 'notify.test';

const MAX_SUMMARY = 500;
const MAX_DETAIL = 300;
const RED = 'E81123';
const GREEN = '2EB67D';
const REDACTED = '********';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

function oneLine(value: string, max: number): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * One line a person reads in a chat client, from the type, subject, actor and reason of an event:
 * `job adder@1.0.0 failed: exit code 1`, `plugin hello@1.1.0 installed by admin`.
 */
export function summarise(event: KernelEvent): string {
  if (event.type === TEST_EVENT_TYPE) return 'test delivery from Spindle notify-webhook';
  const dot = event.type.indexOf('.');
  const family = dot < 0 ? event.type : event.type.slice(0, dot);
  const what = dot < 0 ? '' : event.type.slice(dot + 1).replace(/-/g, ' ');
  const data = event.data ?? {};
  let line = [family, text(data.subject) ?? text(data.name), what].filter(Boolean).join(' ');
  if (text(data.from)) line += ` (from ${data.from as string})`;
  if (event.actor && event.actor !== 'kernel') line += ` by ${event.actor}`;
  const detail = text(data.error) ?? text(data.reason);
  if (detail) line += `: ${oneLine(detail, MAX_DETAIL)}`;
  return oneLine(line, MAX_SUMMARY);
}

/** Failures and lost jobs are shown red; everything else green. */
export function isAlarming(event: KernelEvent): boolean {
  const last = event.type.slice(event.type.lastIndexOf('.') + 1);
  return last === 'failed' || last === 'lost' || event.data?.outcome === 'error';
}

// Slack and Teams treat these three as markup; everything else in a summary is plain text.
const escapeMarkup = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function formatBody(event: KernelEvent, format: Format): string {
  const summary = summarise(event);
  switch (format) {
    case 'json':
      return JSON.stringify({ type: event.type, at: event.at, actor: event.actor ?? null, data: event.data ?? {} });
    case 'slack':
      return JSON.stringify({
        text: escapeMarkup(summary),
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `${isAlarming(event) ? ':red_circle:' : ':large_green_circle:'} *${escapeMarkup(event.type)}*\n${escapeMarkup(summary)}\n_${event.at}_`,
            },
          },
        ],
      });
    case 'teams':
      return JSON.stringify({
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary,
        themeColor: isAlarming(event) ? RED : GREEN,
        title: `Spindle: ${event.type}`,
        text: `${escapeMarkup(summary)}\n\n${event.at}`,
      });
  }
}

function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return secrets.reduce((out, secret) => out.split(secret).join(REDACTED), value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets, depth + 1)]));
}

/**
 * The event as it may leave the kernel. This plugin's own config change carries its endpoints
 * (URLs that are credentials, and secrets the kernel does not mask inside arrays), so that config
 * is never sent; any other occurrence of a secret or endpoint URL is masked.
 */
export function redactEvent(event: KernelEvent, secrets: readonly string[], selfName: string): KernelEvent {
  let data = event.data ?? {};
  const subject = text(data.subject);
  if (
    event.type === 'plugin.config-changed' &&
    (subject === selfName || subject?.startsWith(`${selfName}@`)) &&
    'config' in data
  ) {
    data = { ...data, config: REDACTED };
  }
  // Longest first, so a secret inside a URL does not leave the rest of that URL behind.
  const usable = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (usable.length === 0) return data === event.data ? event : { ...event, data };
  return {
    ...event,
    actor: event.actor === undefined ? undefined : (scrub(event.actor, usable) as string),
    data: scrub(data, usable) as Record<string, unknown>,
  };
}
