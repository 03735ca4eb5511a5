/** When a job fits an agent, and — when it fits none — which resource is short, in words. */
import type { FreeView } from './agent-index.js';

/**
 * A job fits an agent when, for every slot it requests (a positive amount), the agent's
 * capacity - allocated - (what this pass placed there) is at least the request.
 */
export function fits(free: Readonly<Record<string, number>>, request: Readonly<Record<string, number>>): boolean {
  for (const slot in request) {
    const need = request[slot]!;
    if (need > 0 && !((free[slot] ?? 0) >= need)) return false;
  }
  return true;
}

/** Amounts as people write them: integers as is, fractions to 3 places. */
export function formatAmount(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

/**
 * Why a request (a row of a RequestTable) fits on no agent: the slots no agent has enough of,
 * with the most any agent has free — or, when each slot alone is available somewhere, that no
 * single agent has them all at once.
 */
export function whyNoFit(request: Float64Array, offset: number, names: readonly string[], view: FreeView): string {
  if (view.agentCount === 0) return 'no agents to place on';
  const short: number[] = [];
  const wanted: number[] = [];
  for (let s = 0; s < names.length; s++) {
    if (!(request[offset + s]! > 0)) continue;
    wanted.push(s);
    if (view.maxFree(s) < request[offset + s]!) short.push(s);
  }
  const needs = (slots: number[]) =>
    slots.map((s) => `${names[s]} ${formatAmount(request[offset + s]!)}`).join(' and ');
  const most = (slots: number[]) =>
    slots.map((s) => `${names[s]} ${formatAmount(Math.max(0, view.maxFree(s)))}`).join(', ');
  if (short.length === 0)
    return `no single agent has ${needs(wanted)} free at once (most free on any agent: ${most(wanted)})`;
  const missing = short.filter((s) => view.maxCapacity(s) <= 0);
  if (missing.length > 0)
    return `needs ${needs(short)}, but no agent has ${missing.map((s) => names[s]).join(' or ')} at all`;
  if (short.length === 1)
    return `needs ${needs(short)}, most free on any agent is ${formatAmount(Math.max(0, view.maxFree(short[0]!)))}`;
  return `needs ${needs(short)}, most free on any agent is ${most(short)}`;
}
