import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const PLUGIN_SUITES = ['plugins/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'];

export default defineConfig({
  resolve: {
    alias: {
      'spindle/plugin-sdk/testing': fileURLToPath(new URL('./plugin-sdk/testing/index.ts', import.meta.url)),
      'spindle/plugin-sdk/scheduling': fileURLToPath(new URL('./plugin-sdk/scheduling/index.ts', import.meta.url)),
      'spindle/plugin-sdk/targets': fileURLToPath(new URL('./plugin-sdk/targets/index.ts', import.meta.url)),
      'spindle/plugin-sdk/files': fileURLToPath(new URL('./plugin-sdk/files/index.ts', import.meta.url)),
      'spindle/plugin-sdk/sandbox': fileURLToPath(new URL('./plugin-sdk/sandbox/index.ts', import.meta.url)),
      'spindle/plugin-sdk': fileURLToPath(new URL('./plugin-sdk/index.ts', import.meta.url)),
    },
  },
  test: {
    exclude: ['**/node_modules/**', 'build/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'kernel',
          include: ['core/**/*.test.ts', 'plugin-sdk/**/*.test.ts', 'tests/**/*.test.ts', ...PLUGIN_SUITES],
        },
      },
      {
        // The first-party plugins' suites once more, each plugin in a process of its own (the test
        // kit's `isolation: 'process'`): they must behave the same isolated.
        extends: true,
        test: { name: 'plugins isolated', include: PLUGIN_SUITES, env: { SPINDLE_TEST_ISOLATION: 'process' } },
      },
    ],
  },
});
