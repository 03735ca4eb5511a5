/** The reference docs must name every error code and every hook (fastify's rule). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../core/errors/catalogue.js';
import { EVENT_TYPES } from '../../plugin-sdk/event-catalogue.js';
import { HOOK_KINDS } from '../../plugin-sdk/hook-catalogue.js';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('reference docs', () => {
  it('document every KRN_ERR_* code', () => {
    const doc = read('docs/reference/errors.md');
    const missing = Object.keys(ERROR_CATALOGUE).filter((code) => !doc.includes(code));
    expect(missing, 'codes missing from docs/reference/errors.md').toEqual([]);
  });

  it('document no code that does not exist', () => {
    const documented = new Set(read('docs/reference/errors.md').match(/KRN_ERR_[A-Z_]+/g) ?? []);
    const unknown = [...documented].filter((code) => !(code in ERROR_CATALOGUE));
    expect(unknown, 'codes in the docs but not in core/errors/catalogue.ts').toEqual([]);
  });

  it('document every hook', () => {
    const doc = read('docs/reference/hooks.md');
    const missing = Object.keys(HOOK_KINDS).filter((hook) => !doc.includes(`\`${hook}\``));
    expect(missing, 'hooks missing from docs/reference/hooks.md').toEqual([]);
  });

  it('document every event of the catalogue, and no other', () => {
    const doc = read('docs/reference/hooks.md');
    const missing = Object.keys(EVENT_TYPES).filter((type) => !doc.includes(`| \`${type}\` |`));
    expect(missing, 'events missing from the catalogue table in docs/reference/hooks.md').toEqual([]);
    const table = [...doc.matchAll(/^\| `([a-z]+\.[a-zA-Z-]+)` \|/gm)]
      .map((m) => m[1]!)
      .filter((t) => !t.startsWith('events.') && !(t in HOOK_KINDS));
    expect(
      table.filter((type) => !(type in EVENT_TYPES)),
      'events in the docs but not in plugin-sdk/event-catalogue.ts',
    ).toEqual([]);
  });

  it('docs/architecture.md links only to files that exist, and names every folder of core/', () => {
    const doc = read('docs/architecture.md');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const linked = [...doc.matchAll(/\]\((\.\.\/[^)#]+)\)/g)].map((m) => m[1]!.replace(/^\.\.\//, ''));
    expect(linked.length).toBeGreaterThan(30);
    expect(
      linked.filter((rel) => !existsSync(`${root}${rel}`)),
      'links in docs/architecture.md to missing files',
    ).toEqual([]);
    const folders = readdirSync(`${root}core`, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `core/${d.name}/`);
    expect(
      folders.filter((f) => !doc.includes(`\`${f}\``)),
      'core folders missing from docs/architecture.md',
    ).toEqual([]);
  });
});
