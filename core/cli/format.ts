/** Plain-text output: aligned tables and one-line errors. No colour, so pipes and logs stay clean. */
import { ApiError } from './api-client.js';

/** Columns separated by two spaces, padded to the widest cell; the last column is not padded. */
export function renderTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => oneLine(cell == null ? '-' : String(cell))))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** `key: value` lines with the keys aligned. */
export function renderFields(fields: [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...fields.map(([key]) => key.length)) + 1;
  return fields
    .map(([key, value]) => `${`${key}:`.padEnd(width)} ${value == null ? '-' : oneLine(String(value))}\n`)
    .join('');
}

/** `512 bytes`, `4.0 KiB`, `1.5 MiB`, `2.0 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1];
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The single stderr line for a failure; stacks only when SPINDLE_DEBUG=1. */
export function formatError(error: unknown, debug: boolean): string {
  let line: string;
  if (error instanceof ApiError) line = `error: ${error.code}: ${oneLine(error.message)}`;
  else if (error instanceof Error) line = `error: ${oneLine(error.message)}`;
  else line = `error: ${oneLine(String(error))}`;
  if (debug && error instanceof Error && error.stack) return `${line}\n${error.stack}\n`;
  return `${line}\n`;
}
