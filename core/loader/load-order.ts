import { KernelError } from '../errors/kernel-error.js';

/**
 * Order plugin names so that every plugin comes after what it `dependsOn` (a dependency outside
 * `deps` is ignored here; missing ones are caught at install and activation). Ties keep the
 * input order, so the result is deterministic. A cycle is refused with the cycle named.
 */
export function loadOrder(deps: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (name: string): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new KernelError('KRN_ERR_DEPENDENCY_CYCLE', `dependsOn forms a cycle: ${cycle.join(' -> ')}`, {
        plugin: name,
        details: { cycle },
      });
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) if (deps.has(dep)) visit(dep);
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };

  for (const name of deps.keys()) visit(name);
  return order;
}
