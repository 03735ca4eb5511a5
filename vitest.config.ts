import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      'spindle/plugin-sdk/testing': fileURLToPath(new URL('./plugin-sdk/testing/index.ts', import.meta.url)),
      'spindle/plugin-sdk/scheduling': fileURLToPath(new URL('./plugin-sdk/scheduling/index.ts', import.meta.url)),
      'spindle/plugin-sdk/targets': fileURLToPath(new URL('./plugin-sdk/targets/index.ts', import.meta.url)),
      'spindle/plugin-sdk': fileURLToPath(new URL('./plugin-sdk/index.ts', import.meta.url)),
    },
  },
  test: {
    include: [
      'core/**/*.test.ts',
      'plugin-sdk/**/*.test.ts',
      'plugins/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'build/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
