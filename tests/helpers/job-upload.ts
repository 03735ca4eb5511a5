import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';

/** A directory as the ZIP `spindle deploy` uploads (files only, relative paths). */
export function zipDirectory(dir: string): Buffer {
  const zip = new AdmZip();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = path.join(rel, name);
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else zip.addFile(child.split(path.sep).join('/'), readFileSync(path.join(dir, child)));
    }
  };
  walk('');
  return zip.toBuffer();
}

/** The multipart deploy request body. */
export function deployForm(manifest: object, source: Buffer, secretEnv: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.set('manifest', JSON.stringify(manifest));
  form.set('secretEnv', JSON.stringify(secretEnv));
  form.set('source', new Blob([new Uint8Array(source)], { type: 'application/zip' }), 'source.zip');
  return form;
}
