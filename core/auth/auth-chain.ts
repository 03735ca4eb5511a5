import type { Logger } from 'pino';
import type { AuthOutcome, Principal, RequestInfo, ResourceRef } from '../../plugin-sdk/hook-types.js';
import { describeError, isKernelError, KernelError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';

/** How a resource reads in a refusal: `job adder@1.0.0`, `plugin hello`, `all jobs`. */
export function describeResource(resource: ResourceRef): string {
  const id = resource.version ? `${resource.name}@${resource.version}` : (resource.name ?? resource.family);
  const endpoint = resource.endpoint ? ` ${resource.endpoint}` : '';
  return id ? `${resource.kind} ${id}${endpoint}` : `every ${resource.kind}`;
}

/**
 * The auth chain every non-public request passes (DESIGN.md §4):
 * the bootstrap admin token (break-glass, always works) → `auth.preAuth` (SSO from a cookie or
 * header) → `auth.authenticate` (first principal wins; a `{reject}` ends with 401) → no
 * principal: 401. Then `auth.authorize` per action and resource: first allow / deny wins, no
 * answer is deny (403). A tap that throws or times out fails closed (503, with the plugin named).
 */
export class AuthChain {
  constructor(
    private readonly hooks: KernelHooks,
    private readonly logger: Logger,
    private readonly adminToken: (token: string) => Promise<Principal | undefined>,
  ) {}

  async authenticate(request: RequestInfo, token: string | undefined): Promise<Principal> {
    if (token !== undefined) {
      const admin = await this.adminToken(token);
      if (admin) return admin;
    }
    for (const hook of ['auth.preAuth', 'auth.authenticate'] as const) {
      if (this.hooks[hook].taps.length === 0) continue;
      const outcome = await this.run(hook, () => this.hooks[hook].promise(request));
      if (!outcome) continue;
      if ('reject' in outcome)
        throw new KernelError('KRN_ERR_UNAUTHENTICATED', `authentication refused: ${outcome.reject}`);
      void this.notifyAuthenticated(outcome, request);
      return outcome.principal;
    }
    throw new KernelError(
      'KRN_ERR_UNAUTHENTICATED',
      token === undefined ? 'this route needs credentials and none were sent' : 'the credentials were not recognised',
    );
  }

  async authorize(principal: Principal, action: string, resource: ResourceRef): Promise<void> {
    if (principal.kind === 'admin' && principal.provider === 'kernel') return;
    const decision =
      this.hooks['auth.authorize'].taps.length === 0
        ? undefined
        : await this.run('auth.authorize', () => this.hooks['auth.authorize'].promise({ principal, action, resource }));
    if (decision?.decision === 'allow') return;
    const why = decision ? decision.reason : `no auth plugin allowed it`;
    throw new KernelError(
      'KRN_ERR_FORBIDDEN',
      `${principal.name} may not ${action} on ${describeResource(resource)}: ${why}`,
      {
        details: { action, resource, principal: principal.name },
      },
    );
  }

  /** Run a hook; a tap that throws or times out fails closed with 503 and is logged with its plugin. */
  private async run<T>(hook: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const failure = isKernelError(error)
        ? error
        : new KernelError('KRN_ERR_HOOK_FAILED', `${hook} failed: ${describeError(error)}`);
      this.logger.error(
        { hook, plugin: failure.details.plugin, err: failure.message },
        'auth hook failed; refusing the request',
      );
      const plugin = failure.details.plugin as string | undefined;
      if (failure.code === 'KRN_ERR_PLUGIN_REJECTED')
        throw new KernelError('KRN_ERR_UNAUTHENTICATED', failure.what, { plugin, details: failure.details });
      if (failure.code === 'KRN_ERR_HOOK_TIMEOUT') throw failure;
      throw new KernelError('KRN_ERR_HOOK_FAILED', failure.what, { plugin, details: failure.details, status: 503 });
    }
  }

  private async notifyAuthenticated(
    outcome: AuthOutcome & { principal: Principal },
    request: RequestInfo,
  ): Promise<void> {
    await this.hooks['auth.postAuthenticate'].promise({ principal: outcome.principal, request }).catch(() => undefined);
  }
}
