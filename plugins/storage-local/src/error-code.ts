/** The `code` of a Node fs error (`ENOENT`, `EXDEV`, …), or undefined. */
export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null | undefined)?.code;
}

/** ENOENT, or ENOTDIR (a component on the way is a file): nothing is at that path. */
export function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
