/**
 * A small gitignore-like matcher for `.spindleignore`: `#` comments, blank lines, `*`, `?`, `**`,
 * a leading `/` or an inner `/` anchors to the plugin root, a trailing `/` matches directories
 * only, and `!` re-includes. The last matching line wins. Paths are relative, with `/`.
 */

interface Rule {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

export type IgnoreMatcher = (relPath: string) => boolean;

/** What is never packed, whatever `.spindleignore` says. */
export const ALWAYS_IGNORED = ['node_modules/', '/src/', '/tests/', '*.test.ts'];

export function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (ch === '*') {
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else {
      out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}

function compileLine(rawLine: string): Rule | undefined {
  let line = rawLine.replace(/\s+$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  let negate = false;
  if (line.startsWith('!')) {
    negate = true;
    line = line.slice(1);
  }
  if (line.startsWith('\\#') || line.startsWith('\\!')) line = line.slice(1);
  const dirOnly = line.endsWith('/');
  if (dirOnly) line = line.replace(/\/+$/, '');
  const anchored = line.includes('/');
  line = line.replace(/^\/+/, '');
  if (line === '') return undefined;
  const prefix = anchored ? '^' : '^(?:.*/)?';
  return { regex: new RegExp(`${prefix}${globToRegExpSource(line)}$`), negate, dirOnly };
}

export function parseIgnore(text: string): Rule[] {
  return text.split(/\r?\n/).flatMap((line) => compileLine(line) ?? []);
}

/** The directory prefixes of a path: `a/b/c.txt` → `a`, `a/b`. */
function ancestorDirs(relPath: string): string[] {
  const parts = relPath.split('/');
  const dirs: string[] = [];
  for (let i = 1; i < parts.length; i++) dirs.push(parts.slice(0, i).join('/'));
  return dirs;
}

function ruleMatches(rule: Rule, relPath: string, dirs: string[]): boolean {
  if (dirs.some((dir) => rule.regex.test(dir))) return true;
  return !rule.dirOnly && rule.regex.test(relPath);
}

/** A matcher for file paths from ignore-file lines (the always-ignored ones come first). */
export function createIgnoreMatcher(text: string, defaults: readonly string[] = ALWAYS_IGNORED): IgnoreMatcher {
  const userRules = parseIgnore(text);
  const fixedRules = parseIgnore(defaults.join('\n'));
  return (relPath) => {
    const path = relPath.replace(/^\.?\/+/, '');
    const dirs = ancestorDirs(path);
    if (fixedRules.some((rule) => ruleMatches(rule, path, dirs))) return true;
    let ignored = false;
    for (const rule of userRules) {
      if (ruleMatches(rule, path, dirs)) ignored = !rule.negate;
    }
    return ignored;
  };
}
