/**
 * Everything one plugin instance started or registered that must be undone when it unloads:
 * timers, child processes, DI containers, taps and registry entries. Undone last-in first-out;
 * a failing undo is reported and the rest still run.
 */
export type LedgerKind = 'tap' | 'registry' | 'route' | 'action' | 'timer' | 'process' | 'services' | 'other';

export interface LedgerEntry {
  kind: LedgerKind;
  what: string;
  undo: () => void | Promise<void>;
}

export class Ledger {
  private readonly entries = new Set<LedgerEntry>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  /** Record something to undo; returns a function that forgets it (when it ended by itself). */
  add(kind: LedgerKind, what: string, undo: () => void | Promise<void>): () => void {
    if (this.closed) throw new Error(`the plugin is unloading; cannot register ${kind} "${what}"`);
    const entry = { kind, what, undo };
    this.entries.add(entry);
    return () => this.entries.delete(entry);
  }

  /** Counts by kind, for tests and the plugin view. */
  summary(): Partial<Record<LedgerKind, number>> {
    const counts: Partial<Record<LedgerKind, number>> = {};
    for (const entry of this.entries) counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
    return counts;
  }

  /** Undo everything, newest first. Returns the failures (the ledger is empty and closed after). */
  async undoAll(): Promise<{ entry: LedgerEntry; error: unknown }[]> {
    this.closed = true;
    const failures: { entry: LedgerEntry; error: unknown }[] = [];
    for (const entry of [...this.entries].reverse()) {
      try {
        await entry.undo();
      } catch (error) {
        failures.push({ entry, error });
      }
      this.entries.delete(entry);
    }
    return failures;
  }
}
