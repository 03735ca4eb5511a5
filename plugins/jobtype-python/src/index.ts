/**
 * jobtype-python: the job type `python3:<plugin version>`. A job names a Python class
 * (`jobtypeExtra.entrypointPath` / `entrypointClass`); the bundled wrapper (assets/wrapper) serves
 * its `perform()` over HTTP, or for a batch job calls `run()` once. See docs/usage.md.
 */
import { definePlugin } from 'spindle/plugin-sdk';
import { type PythonConfig, preparePythonJob } from './prepare.js';
import { checkPythonExtra, isPythonJobtype } from './python-extra.js';

export default definePlugin<PythonConfig>({
  async activate(ctx) {
    const deps = {
      exec: ctx.exec.bind(ctx),
      config: ctx.config,
      assetsDir: ctx.assetsDir,
      version: ctx.manifest.version,
    };
    ctx.jobTypes.register({
      name: 'python3',
      version: ctx.manifest.version,
      prepare: (request) => preparePythonJob(deps, request),
    });
    ctx.jobTypes.validateManifest((manifest) => {
      if (isPythonJobtype(manifest.jobtype)) checkPythonExtra(manifest.jobtypeExtra);
      return manifest;
    });
    ctx.logger.info(
      { jobType: `python3:${ctx.manifest.version}`, python: ctx.config.python, assetsDir: ctx.assetsDir },
      'python3 job type registered',
    );
  },
});
