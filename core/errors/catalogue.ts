/**
 * The one catalogue of kernel error codes. Every error the kernel returns or throws carries one of
 * these codes; `docs/reference/errors.md` documents each (a test fails when one is missing).
 * `status` is the HTTP status; `hint` says what to do and is appended to the message.
 */
export interface ErrorSpec {
  status: number;
  hint: string;
}

export const ERROR_CATALOGUE = Object.freeze({
  KRN_ERR_INTERNAL: { status: 500, hint: 'This is a kernel bug; the kernel log has the stack trace.' },
  KRN_ERR_BAD_REQUEST: { status: 400, hint: 'Fix the request as described and send it again.' },
  KRN_ERR_NOT_FOUND: { status: 404, hint: 'Check the path; `GET /docs` lists every route.' },
  KRN_ERR_UNAUTHENTICATED: {
    status: 401,
    hint: 'Send `Authorization: Bearer <token>` (the admin token is printed on first start, or set SPINDLE_ADMIN_TOKEN).',
  },
  KRN_ERR_FORBIDDEN: { status: 403, hint: 'Ask an administrator for the permission named above.' },
  KRN_ERR_ZIP_INVALID: {
    status: 400,
    hint: 'Build the bundle with `spindle plugin bundle` and upload the .zip it writes.',
  },
  KRN_ERR_ZIP_TOO_LARGE: {
    status: 413,
    hint: 'Shrink the bundle, or raise the intake limits (SPINDLE_ZIP_MAX_* settings) if the size is intended.',
  },
  KRN_ERR_ZIP_TOO_MANY_ENTRIES: {
    status: 413,
    hint: 'Bundle the code into dist/index.cjs instead of shipping many files.',
  },
  KRN_ERR_ZIP_RATIO: {
    status: 400,
    hint: 'The archive looks like a ZIP bomb; rebuild it with `spindle plugin bundle`.',
  },
  KRN_ERR_ZIP_UNSAFE_ENTRY: {
    status: 400,
    hint: 'Entries must be plain relative paths inside the bundle (no `..`, absolute paths, backslashes, drive letters, links or devices).',
  },
  KRN_ERR_HASH_MISMATCH: {
    status: 400,
    hint: 'The bundle was altered after it was built; rebuild it or fix the `files` map.',
  },
  KRN_ERR_MANIFEST_MISSING: { status: 400, hint: 'Put a plugin.json at the root of the ZIP.' },
  KRN_ERR_MANIFEST_INVALID: {
    status: 400,
    hint: 'Fix plugin.json against plugin-manifest.schema.json (docs/reference/manifest.md).',
  },
  KRN_ERR_ENGINE_MISMATCH: {
    status: 400,
    hint: "Rebuild the plugin for this kernel's plugin API, or widen `engines.spindle` if it is compatible.",
  },
  KRN_ERR_DEPENDENCY_MISSING: {
    status: 409,
    hint: 'Install a version of the dependency that satisfies the range first.',
  },
  KRN_ERR_DEPENDENCY_CYCLE: { status: 409, hint: "Break the cycle in the plugins' `dependsOn`." },
  KRN_ERR_ALREADY_INSTALLED: {
    status: 409,
    hint: 'Bump the version, or uninstall the installed one first (`spindle plugin uninstall name@version`).',
  },
  KRN_ERR_DOWNLOAD_FAILED: { status: 400, hint: 'Check the URL is reachable from the kernel and serves the ZIP.' },
  KRN_ERR_PLUGIN_NOT_FOUND: { status: 404, hint: '`spindle plugin list` shows what is installed.' },
  KRN_ERR_PLUGIN_IN_USE: { status: 409, hint: 'Stop the users listed, or pass --force to uninstall anyway.' },
  KRN_ERR_PLUGIN_DEPENDED_ON: { status: 409, hint: 'Uninstall the dependents first, or pass --force.' },
  KRN_ERR_PLUGIN_LOAD_FAILED: {
    status: 422,
    hint: 'The bundle could not be loaded; check `main` points at a CommonJS bundle whose default export is definePlugin(...).',
  },
  KRN_ERR_ACTIVATION_FAILED: {
    status: 422,
    hint: 'The previous active version (if any) keeps running; fix the plugin and install a new version, or uninstall it.',
  },
  KRN_ERR_ACTIVATION_TIMEOUT: {
    status: 422,
    hint: 'activate(ctx) must resolve within the time limit; move slow work out of activate or raise SPINDLE_ACTIVATION_TIMEOUT_MS.',
  },
  KRN_ERR_ISOLATION_UNSUPPORTED: {
    status: 400,
    hint: 'An isolated plugin cannot use this extension point (scheduling.filter is synchronous); run the plugin in-process, or use scheduling.admit.',
  },

  KRN_ERR_DUPLICATE: {
    status: 409,
    hint: 'Another plugin already registered this key; pick another name or remove that plugin.',
  },
  KRN_ERR_CONFIG_INVALID: {
    status: 400,
    hint: "Fix the config against the plugin's configSchema (`spindle plugin config get`).",
  },
  KRN_ERR_ACTION_NOT_FOUND: { status: 404, hint: "`GET /api/v1/plugins/<name>` lists the plugin's actions." },
  KRN_ERR_ACTION_INPUT_INVALID: { status: 400, hint: "Fix the action input against the action's inputSchema." },
  KRN_ERR_PLUGIN_FAILED: {
    status: 502,
    hint: 'The plugin failed while handling the call; its log lines carry its name.',
  },
  KRN_ERR_PLUGIN_TIMEOUT: {
    status: 504,
    hint: 'The plugin did not answer within the call\'s time limit (docs/guides/plugin-authors.md, "Time limits"); its log lines carry its name.',
  },
  KRN_ERR_PLUGIN_CRASHED: {
    status: 502,
    hint: 'The plugin runs isolated and its process ended (details.reason, details.stderr); the kernel restarts it, and marks the version failed after repeated crashes.',
  },
  KRN_ERR_PLUGIN_UNRESPONSIVE: {
    status: 503,
    hint: 'The plugin runs isolated and its event loop stopped answering (a busy loop or a blocking call); the kernel killed and restarts it. Fix the plugin, or raise SPINDLE_PLUGIN_UNRESPONSIVE_MS.',
  },
  KRN_ERR_PLUGIN_MESSAGE_TOO_LARGE: {
    status: 413,
    hint: 'A request or answer for an isolated plugin is larger than SPINDLE_PLUGIN_MESSAGE_MAX_BYTES; send less, or raise the limit.',
  },
  KRN_ERR_PLUGIN_REJECTED: { status: 400, hint: 'The plugin refused the input; the message says why.' },
  KRN_ERR_PLUGIN_NOT_ACTIVE: {
    status: 503,
    hint: 'Activate the plugin (`spindle plugin enable`) or fix its failure first.',
  },
  KRN_ERR_HOOK_FAILED: { status: 503, hint: 'A plugin tapping this hook threw; its log lines carry its name.' },
  KRN_ERR_HOOK_TIMEOUT: {
    status: 503,
    hint: 'A plugin tapping this hook did not answer in time; its log lines carry its name.',
  },
  KRN_ERR_TAPABLE_INCOMPATIBLE: {
    status: 500,
    hint: 'Install the tapable version pinned in package.json (`npm ci`); the kernel relies on its private _resetCompilation().',
  },
  KRN_ERR_STATE: {
    status: 500,
    hint: 'The state database could not be read or written: check <home>/state.db and disk space, or the PostgreSQL server SPINDLE_DATABASE_URL names.',
  },
  KRN_ERR_SHUTTING_DOWN: { status: 503, hint: 'The kernel is stopping; retry against a running kernel.' },
  KRN_ERR_MAINTENANCE: {
    status: 503,
    hint: 'The kernel is in maintenance mode: reads and job calls work, changes wait until an administrator turns it off (`spindle maintenance off`).',
  },
  KRN_ERR_CLI: { status: 400, hint: 'Run the command with --help for its usage.' },
  KRN_ERR_JOB_MANIFEST_INVALID: {
    status: 400,
    hint: 'Fix job.yaml as described (docs/reference/job-manifest.md); `spindle validate` checks it locally.',
  },
  KRN_ERR_JOB_MANIFEST_NOT_FOUND: {
    status: 400,
    hint: 'Run the command in the job directory, or pass it: `spindle deploy <dir>`.',
  },
  KRN_ERR_JOB_SOURCE_INVALID: {
    status: 400,
    hint: 'Deploy with `spindle deploy <dir>`, which packs the directory as the kernel expects.',
  },
  KRN_ERR_JOB_EXISTS: {
    status: 409,
    hint: 'Bump the version in job.yaml, or pass --force to replace the deployed one.',
  },
  KRN_ERR_JOB_NOT_FOUND: { status: 404, hint: '`spindle jobs` lists the deployed jobs.' },
  KRN_ERR_JOB_REJECTED: {
    status: 422,
    hint: 'The queue refused the job (quota or policy); the message says which limit.',
  },
  KRN_ERR_JOB_NOT_RUNNING: {
    status: 503,
    hint: '`spindle jobs get <name>` shows its state and why; `spindle logs <name>` its output.',
  },
  KRN_ERR_JOB_UNREACHABLE: {
    status: 502,
    hint: 'The job did not answer; `spindle logs <name>` shows whether it crashed.',
  },
  KRN_ERR_JOBTYPE_NOT_FOUND: {
    status: 400,
    hint: 'Install a plugin providing that job type version (`spindle plugin list`), or change `jobtype` in job.yaml.',
  },
  KRN_ERR_TARGET_NOT_FOUND: {
    status: 400,
    hint: 'Install an infrastructure plugin (e.g. infra-local) or set `infrastructure` in job.yaml to one that is active.',
  },
  KRN_ERR_SCHEDULER_NOT_FOUND: {
    status: 400,
    hint: 'Install the scheduler plugin the queue names, or point the queue at one that is active (`PUT /api/v1/queues/<name>`).',
  },
  KRN_ERR_STORAGE_NOT_FOUND: {
    status: 400,
    hint: 'Install a storage plugin (e.g. storage-local), or address the volume as `backend:volume` with a backend that is active (`spindle volume ls` shows them).',
  },
  KRN_ERR_VOLUME_NOT_FOUND: {
    status: 404,
    hint: '`spindle volume ls` lists the volumes you may see; check the name and the backend.',
  },
  KRN_ERR_VOLUME_EXISTS: { status: 409, hint: 'Pick another name, or delete the volume first (`spindle volume rm`).' },
  KRN_ERR_VOLUME_QUOTA_EXCEEDED: {
    status: 507,
    hint: 'Delete files from the volume, or ask an administrator to raise its quota (`spindle volume quota`).',
  },
  KRN_ERR_VOLUME_PATH_INVALID: {
    status: 400,
    hint: 'Use a path relative to the volume root, without `..` segments and without links that lead outside it.',
  },
  KRN_ERR_VOLUME_FILE_NOT_FOUND: { status: 404, hint: '`spindle volume files <volume> [dir]` lists what is there.' },
  KRN_ERR_VOLUME_FILE_EXISTS: { status: 409, hint: 'Choose another path, or pass --overwrite to replace the file.' },
  KRN_ERR_VOLUME_NOT_EMPTY: { status: 409, hint: 'Pass --recursive to delete the directory with everything in it.' },
  KRN_ERR_VOLUME_IN_USE: {
    status: 409,
    hint: 'Delete the jobs named above (`spindle delete`) or wait until they end, then try again.',
  },
} satisfies Record<string, ErrorSpec>);

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
