import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { StateStore } from '../state/store.js';
import { authenticateAdminToken } from './admin-token.js';

/**
 * The bootstrap admin token check, with valid tokens remembered for `ttlMs` (every request asks
 * it first): a revoked token stops working within that time.
 */
export class AdminTokenCache {
  private readonly valid = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly store: StateStore,
    private readonly ttlMs = 2_000,
  ) {}

  async authenticate(token: string): Promise<Principal | undefined> {
    const cached = this.valid.get(token);
    if (cached && cached.until > Date.now()) return cached.principal;
    const principal = await authenticateAdminToken(this.store, token);
    if (this.valid.size > 1_000) this.valid.clear();
    if (principal) this.valid.set(token, { principal, until: Date.now() + this.ttlMs });
    else this.valid.delete(token);
    return principal;
  }
}
