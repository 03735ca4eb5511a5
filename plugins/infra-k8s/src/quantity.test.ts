import { describe, expect, it } from 'vitest';
import { cpuCores, cpuQuantity, memoryMiB, memoryQuantity, parseQuantity } from './quantity.js';

describe('quantities', () => {
  it('reads cpu as cores', () => {
    expect(cpuCores('2')).toBe(2);
    expect(cpuCores('1500m')).toBe(1.5);
    expect(cpuCores('0.5')).toBe(0.5);
    expect(cpuCores('250000000n')).toBe(0.25);
  });

  it('reads memory as whole MiB, binary and decimal suffixes alike', () => {
    expect(memoryMiB('16Gi')).toBe(16384);
    expect(memoryMiB('8151960Ki')).toBe(7960);
    expect(memoryMiB('512Mi')).toBe(512);
    expect(memoryMiB('1G')).toBe(953);
    expect(memoryMiB('1e9')).toBe(953);
    expect(memoryMiB('1048576')).toBe(1);
  });

  it('refuses text that is not a quantity', () => {
    expect(() => parseQuantity('12 cores')).toThrow(/not a Kubernetes quantity/);
    expect(() => parseQuantity('1Zi')).toThrow();
    expect(parseQuantity('4')).toBe(4);
  });

  it('writes what a job asks for', () => {
    expect(cpuQuantity(0.1)).toBe('100m');
    expect(cpuQuantity(2)).toBe('2000m');
    expect(memoryQuantity(64)).toBe('64Mi');
    expect(memoryQuantity(0.5)).toBe('1Mi');
  });
});
