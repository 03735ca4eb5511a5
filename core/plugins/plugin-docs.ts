import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KernelError } from '../errors/kernel-error.js';

const DOC_PAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Markdown pages shipped in the bundle's `docs/`, without the `.md`. */
export async function listDocPages(dir: string): Promise<string[]> {
  try {
    return (await readdir(path.join(dir, 'docs')))
      .filter((f) => f.endsWith('.md'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

export async function readDocPage(dir: string, plugin: string, page: string): Promise<string> {
  const name = page.replace(/\.md$/, '');
  if (!DOC_PAGE.test(name) || !(await listDocPages(dir)).includes(name)) {
    throw new KernelError('KRN_ERR_NOT_FOUND', `no docs page "${page}"`, { plugin });
  }
  return readFile(path.join(dir, 'docs', `${name}.md`), 'utf8');
}
