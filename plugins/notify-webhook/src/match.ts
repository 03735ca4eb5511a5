/**
 * Event patterns as operators write them in `endpoints[].events`: an exact type (`job.failed`), a
 * family (`job.*`, every type that starts with `job.`) or `*` (everything).
 */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

export function matchesAny(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, type));
}
