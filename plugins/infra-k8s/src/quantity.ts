/** Kubernetes resource quantities (`1500m`, `2`, `8Gi`, `1e3`) as numbers. */

const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A quantity in base units (cores, bytes, devices); throws on text that is not one. */
export function parseQuantity(text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
  return Number(match[1]) * SUFFIXES[match[2] ?? '']!;
}

/** CPU cores, to the millicore (`1500m` → 1.5). */
export const cpuCores = (text: string): number => Math.round(parseQuantity(text) * 1000) / 1000;

/** Whole MiB, rounded down (`16Gi` → 16384, `2048Ki` → 2). */
export const memoryMiB = (text: string): number => Math.floor(parseQuantity(text) / 2 ** 20);

/** What a job asks for as quantities: cores as millicores, MiB as `Mi`. */
export const cpuQuantity = (cores: number): string => `${Math.max(1, Math.round(cores * 1000))}m`;
export const memoryQuantity = (mib: number): string => `${Math.max(1, Math.ceil(mib))}Mi`;
