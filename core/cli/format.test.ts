import { describe, expect, it } from 'vitest';
import { ApiError } from './api-client.js';
import { formatError, renderTable } from './format.js';

describe('renderTable', () => {
  it('aligns columns with two spaces and shows missing cells as -', () => {
    expect(
      renderTable(
        ['NAME', 'V'],
        [
          ['a', '1.0.0'],
          ['longer-name', null],
        ],
      ),
    ).toBe('NAME         V\na            1.0.0\nlonger-name  -\n');
  });
});

describe('formatError', () => {
  it('prints one line, with the code for API errors', () => {
    expect(formatError(new ApiError(404, 'KRN_ERR_PLUGIN_NOT_FOUND', 'no plugin x.\nhint'), false)).toBe(
      'error: KRN_ERR_PLUGIN_NOT_FOUND: no plugin x. hint\n',
    );
    expect(formatError(new Error('boom'), false)).toBe('error: boom\n');
  });

  it('adds the stack only in debug mode', () => {
    expect(formatError(new Error('boom'), true)).toMatch(/^error: boom\nError: boom\n\s+at /);
  });
});
