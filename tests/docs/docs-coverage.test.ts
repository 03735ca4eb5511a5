/** The reference docs must name every error code and every hook (fastify's rule). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../core/errors/catalogue.js';
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
});
