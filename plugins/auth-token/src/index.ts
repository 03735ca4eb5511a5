/**
 * auth-token: users, API tokens and Racetrack-style permission scopes. Taps the kernel's auth
 * chain — `auth.preAuth` (an anonymous principal for login / signup only), `auth.authenticate`
 * (its own `spt_…` tokens) and `auth.authorize` (grants → allow, or a deny that names what is
 * missing) — and gives a deployer read / call / deploy / delete on the family it deployed.
 * State lives in `<dataDir>/auth.json`. See docs/usage.md.
 */
import { definePlugin, type KernelEvent, type Principal, type RequestInfo } from 'spindle/plugin-sdk';
import { type AuthTokenConfig, registerRoutes } from './routes.js';
import { ANONYMOUS_ENDPOINTS, decide, type Grant } from './scopes.js';
import { AuthStore } from './store.js';
import { hasCredentials, tokenFromHeaders } from './tokens.js';

export type { AuthTokenConfig } from './routes.js';

/** What a deployer gets on the family it deployed. */
export const DEPLOYER_SCOPES = ['read_job', 'call_job', 'deploy_job', 'delete_job'] as const;

export function anonymousPrincipal(provider: string): Principal {
  return { id: 'anonymous', name: 'anonymous', kind: 'user', provider, claims: { anonymous: true } };
}

/** `/login` when the request is `POST /api/v1/plugins/<self>/routes/login[/][?…]`, else undefined. */
export function anonymousEndpoint(request: RequestInfo, self: string): string | undefined {
  if (request.method.toUpperCase() !== 'POST') return undefined;
  const pathname = request.url.split(/[?#]/, 1)[0]!.replace(/\/+$/, '');
  const prefix = `/api/v1/plugins/${self}/routes`;
  if (!pathname.startsWith(prefix)) return undefined;
  const endpoint = pathname.slice(prefix.length);
  return ANONYMOUS_ENDPOINTS.includes(endpoint) ? endpoint : undefined;
}

/** `adder` from `adder@1.0.0`. */
function familyOf(subject: unknown): string | undefined {
  if (typeof subject !== 'string') return undefined;
  const at = subject.lastIndexOf('@');
  const family = at > 0 ? subject.slice(0, at) : subject;
  return family || undefined;
}

export default definePlugin<AuthTokenConfig>({
  async activate(ctx) {
    const self = ctx.manifest.name;
    const store = await AuthStore.open(ctx.dataDir);
    ctx.logger.info({ users: store.users().length }, 'auth store loaded');

    ctx.auth.preAuth((request) => {
      if (hasCredentials(request.headers) || !anonymousEndpoint(request, self)) return undefined;
      return { principal: anonymousPrincipal(self) };
    });

    ctx.auth.authenticate((request) => {
      const token = tokenFromHeaders(request.headers);
      if (token === undefined) return undefined;
      const checked = store.verifyToken(token);
      if (!checked) return undefined; // not ours: another provider, or the admin token, may know it
      if ('reject' in checked) return checked;
      const { user, token: record } = checked;
      return {
        principal: { id: user.id, name: user.username, kind: 'user', provider: self, claims: { tokenId: record.id } },
      };
    });

    ctx.auth.authorize(({ principal, action, resource }) => {
      const endpoint = resource.endpoint?.replace(/\/+$/, '');
      if (principal.provider === self && principal.claims?.anonymous === true) {
        const allowed =
          action === 'call_plugin' &&
          resource.name === self &&
          endpoint !== undefined &&
          ANONYMOUS_ENDPOINTS.includes(endpoint);
        return allowed
          ? { decision: 'allow' }
          : { decision: 'deny', reason: 'an anonymous caller may only log in or sign up' };
      }
      let grants: Grant[] = [];
      if (principal.provider === self) {
        const user = store.userById(principal.id);
        if (!user) return { decision: 'deny', reason: `user ${principal.name} no longer exists` };
        grants = store.grantsOf(user.id);
      }
      const decision = decide(grants, action, resource, principal.name, self);
      if (decision.allow) return { decision: 'allow' };
      // Only this plugin's own principals get a deny; for others we have no opinion.
      return principal.provider === self ? { decision: 'deny', reason: decision.reason } : undefined;
    });

    ctx.events.on('job.deployed', async (event: KernelEvent) => {
      const user = event.actor ? store.userByName(event.actor) : undefined;
      const family = familyOf(event.data.subject);
      if (!user || !family) return;
      const added = await store.addGrants(
        user.id,
        DEPLOYER_SCOPES.map((scope) => ({ scope, jobs: { family } })),
      );
      if (added > 0) ctx.logger.info({ user: user.username, family, added }, 'deployer granted its family');
    });

    registerRoutes(ctx, store);
  },
});
