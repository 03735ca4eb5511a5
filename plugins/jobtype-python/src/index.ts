/**
 * jobtype-python: the job type `python3:<plugin version>`. A job names a Python class
 * (`jobtypeExtra.entrypointPath` / `entrypointClass`); the bundled wrapper (assets/wrapper) serves
 * its `perform()` over HTTP, or for a batch job calls `run()` once. See docs/usage.md.
 */
import { definePlugin } from 'spindle/plugin-sdk';
import { probeSandbox } from 'spindle/plugin-sdk/sandbox';
import { type PythonConfig, preparePythonJob } from './prepare.js';
import { checkPythonExtra, isPythonJobtype } from './python-extra.js';

export default definePlugin<PythonConfig>({
  async activate(ctx) {
    const exec = ctx.exec.bind(ctx);
    const probe = await probeSandbox(exec, { bwrap: ctx.config.bwrap, network: 'host' });
    if (!probe.available)
      ctx.logger.warn(`venv and pip steps run unconfined, with the kernel's rights: ${probe.reason}`);
    const deps = {
      exec,
      config: ctx.config,
      assetsDir: ctx.assetsDir,
      version: ctx.manifest.version,
      sandbox: probe.available ? { bwrap: probe.bwrap } : undefined,
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
      {
        jobType: `python3:${ctx.manifest.version}`,
        python: ctx.config.python,
        assetsDir: ctx.assetsDir,
        toolSteps: probe.available ? 'confined' : 'unconfined',
      },
      'python3 job type registered',
    );
  },
});
