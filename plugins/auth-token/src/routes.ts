/**
 * The plugin's HTTP routes (under /api/v1/plugins/auth-token/routes/…). The kernel authorizes each
 * call first (`call_plugin` → this plugin's `auth.authorize` tap: `manage_users` for the admin
 * routes, anyone for `/me`, `/login`, `/signup`), so the handlers only validate input.
 */
import { type PluginContext, PluginError, type PluginHttpRequest, type Principal } from 'spindle/plugin-sdk';
import { burnPasswordCheck, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { type Grant, parseGrant } from './scopes.js';
import type { AuthStore, UserRecord } from './store.js';
import { expiryAfter, tokenFromHeaders } from './tokens.js';

export interface AuthTokenConfig {
  allowSignup: boolean;
  defaultTokenDays: number;
  maxTokenDays: number;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RESERVED = new Set(['anonymous', 'admin', 'kernel']);

const bad = (message: string): PluginError => new PluginError(message, { status: 400 });

function bodyObject(req: PluginHttpRequest): Record<string, unknown> {
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function usernameOf(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME.test(value)) {
    throw bad(
      'username must be 1-64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  if (RESERVED.has(value)) throw bad(`username "${value}" is reserved`);
  return value;
}

function passwordOf(value: unknown): string {
  const problem = passwordProblem(value);
  if (problem) throw bad(problem);
  return value as string;
}

/** A single grant `{scope, …}` or `{grants: [...]}`. */
function grantsOf(value: unknown): Grant[] {
  const list =
    typeof value === 'object' && value !== null && 'grants' in value ? (value as { grants: unknown }).grants : [value];
  if (!Array.isArray(list)) throw bad('grants must be an array');
  return list.map((g, i) => {
    try {
      return parseGrant(g);
    } catch (error) {
      throw bad(`grants[${i}]: ${(error as Error).message}`);
    }
  });
}

export function registerRoutes(ctx: PluginContext<AuthTokenConfig>, store: AuthStore): void {
  const { config, logger } = ctx;
  const userView = (u: UserRecord) => ({
    id: u.id,
    username: u.username,
    createdAt: u.createdAt,
    grants: store.grantsOf(u.id),
  });
  const userNamed = (name: string | undefined): UserRecord => {
    const user = name === undefined ? undefined : store.userByName(name);
    if (!user) throw new PluginError(`no user "${name ?? ''}"`, { status: 404 });
    return user;
  };

  /** A token's expiry from `expiresInDays` (default `defaultTokenDays`, at most `maxTokenDays`). */
  const expiryOf = (days: unknown): string | undefined => {
    if (days === null) {
      if (config.maxTokenDays === 0) return undefined;
      throw bad(`tokens may live at most ${config.maxTokenDays} days: expiresInDays cannot be null`);
    }
    const value = days === undefined ? config.defaultTokenDays : days;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw bad('expiresInDays must be a positive number');
    if (config.maxTokenDays > 0 && value > config.maxTokenDays)
      throw bad(`expiresInDays must be at most ${config.maxTokenDays}`);
    return expiryAfter(value);
  };

  const newUser = async (body: Record<string, unknown>, grants: Grant[]): Promise<UserRecord> => {
    const username = usernameOf(body.username);
    const password = passwordOf(body.password);
    if (store.userByName(username)) throw new PluginError(`user "${username}" already exists`, { status: 409 });
    return store.createUser(username, await hashPassword(password), grants);
  };

  ctx.http.route('POST', '/login', async (req) => {
    const body = bodyObject(req);
    if (typeof body.username !== 'string' || typeof body.password !== 'string')
      throw bad('send {"username": "…", "password": "…"}');
    const user = store.userByName(body.username);
    const ok = user ? await verifyPassword(body.password, user.password) : await burnPasswordCheck(body.password);
    if (!user || !ok) throw new PluginError('wrong username or password', { status: 401 });
    const expiresAt = expiryAfter(config.defaultTokenDays);
    const { token, record } = await store.createToken(user.id, { name: 'login', expiresAt });
    logger.info({ user: user.username, tokenId: record.id }, 'user logged in');
    return { body: { token, expiresAt } };
  });

  ctx.http.route('POST', '/signup', async (req) => {
    if (!config.allowSignup) throw new PluginError('signup is disabled (config allowSignup)', { status: 403 });
    const user = await newUser(bodyObject(req), []);
    logger.info({ user: user.username }, 'user signed up');
    const acceptLanguage = req.headers['accept-language'];
    ctx.auth.signedUp({
      principal: { id: user.id, name: user.username, kind: 'user', provider: ctx.manifest.name },
      ...(acceptLanguage ? { acceptLanguage } : {}),
    });
    return { status: 201, body: userView(user) };
  });

  ctx.http.route('GET', '/me', (req) => {
    // The kernel passes the caller's principal; the test kit may not, so the token in the
    // headers is the fallback.
    const principal = (req as PluginHttpRequest & { principal?: Principal }).principal;
    const token = tokenFromHeaders(req.headers);
    const checked = token === undefined ? undefined : store.verifyToken(token);
    const user =
      principal?.provider === ctx.manifest.name
        ? store.userById(principal.id)
        : checked && 'user' in checked
          ? checked.user
          : undefined;
    if (!user) {
      if (principal)
        return {
          body: {
            principal: { name: principal.name, kind: principal.kind, provider: principal.provider },
            user: null,
            grants: [],
          },
        };
      throw new PluginError('cannot tell who is calling: the kernel does not pass the caller to plugin routes', {
        status: 401,
      });
    }
    const tokenId = principal
      ? principal.claims?.tokenId
      : checked && 'token' in checked
        ? checked.token.id
        : undefined;
    return {
      body: {
        user: { id: user.id, username: user.username, createdAt: user.createdAt },
        grants: store.grantsOf(user.id),
        tokenId,
      },
    };
  });

  ctx.http.route('GET', '/users', () => ({
    body: store
      .users()
      .map((u) => ({ ...userView(u), tokens: store.tokensOf(u.id).filter((t) => !t.revokedAt).length })),
  }));

  ctx.http.route('POST', '/users', async (req) => {
    const body = bodyObject(req);
    const grants = body.grants === undefined ? [] : grantsOf({ grants: body.grants });
    const user = await newUser(body, grants);
    logger.info({ user: user.username, grants: grants.length }, 'user created');
    return { status: 201, body: userView(user) };
  });

  ctx.http.route('DELETE', '/users/:name', async (req) => {
    const user = userNamed(req.params.name);
    await store.deleteUser(user.username);
    logger.info({ user: user.username }, 'user deleted, with its tokens and grants');
    return { status: 204 };
  });

  ctx.http.route('POST', '/users/:name/grants', async (req) => {
    const user = userNamed(req.params.name);
    const added = await store.addGrants(user.id, grantsOf(bodyObject(req)));
    return { body: { added, grants: store.grantsOf(user.id) } };
  });

  ctx.http.route('DELETE', '/users/:name/grants', async (req) => {
    const user = userNamed(req.params.name);
    const removed = await store.removeGrants(user.id, grantsOf(bodyObject(req)));
    return { body: { removed, grants: store.grantsOf(user.id) } };
  });

  ctx.http.route('POST', '/users/:name/tokens', async (req) => {
    const user = userNamed(req.params.name);
    const body = req.body === undefined || req.body === null ? {} : bodyObject(req);
    if (
      body.name !== undefined &&
      (typeof body.name !== 'string' || body.name.length === 0 || body.name.length > 100)
    ) {
      throw bad('name must be a string of 1-100 characters');
    }
    const expiresAt = expiryOf(body.expiresInDays);
    const { token, record } = await store.createToken(user.id, { name: body.name as string | undefined, expiresAt });
    logger.info({ user: user.username, tokenId: record.id }, 'token created');
    return { status: 201, body: { token, id: record.id, name: record.name, expiresAt: record.expiresAt ?? null } };
  });

  ctx.http.route('GET', '/users/:name/tokens', (req) => ({ body: store.tokensOf(userNamed(req.params.name).id) }));

  ctx.http.route('DELETE', '/tokens/:id', async (req) => {
    const id = req.params.id ?? '';
    const token = store.tokenById(id);
    if (!token) throw new PluginError(`no token "${id}"`, { status: 404 });
    await store.revokeToken(id);
    logger.info({ tokenId: id }, 'token revoked');
    return { body: { id, revokedAt: store.tokenById(id)?.revokedAt } };
  });
}
