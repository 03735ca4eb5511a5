/** Longest accepted relative path and path segment, in UTF-8 bytes (common file-system limits). */
const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

// C0 controls, DEL and C1 controls; U+FFFD is what a name that was not valid UTF-8 decodes to.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const CONTROL_OR_INVALID = /[\u0000-\u001f\u007f-\u009f\ufffd]/;
// Zero-width and bidirectional controls make a name display as something it is not.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/**
 * Why `name` is not a plain relative path inside a bundle, in plain words, or undefined when it
 * is safe. A single trailing `/` (a ZIP directory entry) is allowed when `allowDirectory` is set.
 * Nothing is ever normalised: a name that would need fixing is refused as it is.
 */
export function unsafePathReason(name: string, options: { allowDirectory?: boolean } = {}): string | undefined {
  if (name === '') return 'has an empty name';
  if (name.includes('\u0000')) return 'contains a NUL byte';
  if (CONTROL_OR_INVALID.test(name)) return 'contains a control character or bytes that are not valid UTF-8';
  if (INVISIBLE.test(name)) return 'contains an invisible or text-direction character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.includes(':')) return "contains ':' (a drive letter or an alternate data stream on Windows)";
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  const body = options.allowDirectory && name.endsWith('/') ? name.slice(0, -1) : name;
  for (const segment of body.split('/')) {
    if (segment === '') return 'has an empty path segment (a doubled or trailing slash)';
    if (segment === '..') return "has a '..' segment that points outside the bundle";
    if (segment === '.') return "has a '.' segment";
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      return `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}
