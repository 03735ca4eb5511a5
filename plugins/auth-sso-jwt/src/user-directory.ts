/**
 * The users this plugin has seen: `<dataDir>/users.json`, `{ "<id>": {name, groups, firstSeen,
 * lastSeen} }`. A new user (or a changed name / groups) is written at once; `lastSeen` alone is
 * written at most once a minute per user, so a busy user does not cause a write per request.
 * Writes are atomic (temp file + rename) and run one at a time.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PluginLogger } from 'spindle/plugin-sdk';

export interface UserRecord {
  name: string;
  groups: string[];
  firstSeen: string;
  lastSeen: string;
}

export type SeenResult = 'created' | 'updated' | 'unchanged';

export const LAST_SEEN_INTERVAL_MS = 60_000;

const sameGroups = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((g, i) => g === b[i]);

export class UserDirectory {
  readonly file: string;
  private users: Record<string, UserRecord> = {};
  private loaded?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly logger: PluginLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dir, 'users.json');
  }

  /** Record a sighting; resolves once any needed write is on disk (a failed write is logged). */
  async seen(id: string, name: string, groups: string[]): Promise<SeenResult> {
    await this.ready();
    const now = this.now();
    const at = new Date(now).toISOString();
    const known = this.users[id];
    let result: SeenResult;
    if (!known) {
      this.users[id] = { name, groups: [...groups], firstSeen: at, lastSeen: at };
      result = 'created';
    } else if (
      known.name !== name ||
      !sameGroups(known.groups, groups) ||
      now - Date.parse(known.lastSeen) >= LAST_SEEN_INTERVAL_MS
    ) {
      this.users[id] = { ...known, name, groups: [...groups], lastSeen: at };
      result = 'updated';
    } else {
      return 'unchanged';
    }
    if (result === 'created') this.logger.info({ user: id, file: this.file }, `first sign-in of SSO user ${id}`);
    await this.save();
    return result;
  }

  async get(id: string): Promise<UserRecord | undefined> {
    await this.ready();
    return this.users[id];
  }

  /** Load once; a failed read (not a missing file) is retried on the next call. */
  private ready(): Promise<void> {
    return (this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    }));
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      this.users = parsed as Record<string, UserRecord>;
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside).catch(() => undefined);
      this.logger.warn(
        { file: aside, err: (error as Error).message },
        'users.json could not be read; moved aside and starting empty',
      );
    }
  }

  /** Queue a write of the whole directory; writes never overlap, each is temp file + rename. */
  private save(): Promise<void> {
    const run = async (): Promise<void> => {
      const body = `${JSON.stringify(this.users, null, 2)}\n`;
      const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await mkdir(this.dir, { recursive: true });
      await writeFile(temp, body, { encoding: 'utf8', mode: 0o600 });
      await rename(temp, this.file);
    };
    this.writing = this.writing.then(run).catch((error: unknown) => {
      this.logger.error({ file: this.file, err: (error as Error).message }, 'could not write users.json');
    });
    return this.writing;
  }
}
