/** Renders `assets/Dockerfile.template` for container targets. */

export interface DockerfileInput {
  template: string;
  baseImage: string;
  requirementsPath?: string;
  pipArgs: readonly string[];
  /** Baked into the image; the target's env still wins at run time. */
  env: Record<string, string>;
}

/** An exec-form (JSON array) argument list, spaced as people write it. */
function execForm(args: readonly string[]): string {
  return `[${args.map((arg) => JSON.stringify(arg)).join(', ')}]`;
}

/** A double-quoted Dockerfile word: `\`, `"` and `$` escaped, so nothing expands. */
function quote(value: string): string {
  return `"${value.replace(/[\\"$]/g, '\\$&')}"`;
}

export function renderDockerfile(input: DockerfileInput): string {
  const requirements = input.requirementsPath
    ? [
        `COPY ${execForm([`job/${input.requirementsPath}`, '/opt/spindle/requirements.txt'])}`,
        `RUN ${execForm(['python3', '-m', 'pip', 'install', '--no-cache-dir', '-r', '/opt/spindle/requirements.txt', ...input.pipArgs])}`,
      ].join('\n')
    : '# no requirements file';
  const values: Record<string, string> = {
    baseImage: input.baseImage,
    requirements,
    jobEnv: Object.entries(input.env)
      .map(([key, value]) => `${key}=${quote(value)}`)
      .join(' '),
  };
  return input.template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`Dockerfile.template: unknown placeholder ${whole}`);
    return value;
  });
}
