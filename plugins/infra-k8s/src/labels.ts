/** Labels and annotations on everything this target creates; it lists and deletes only objects with these. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  job: 'spindle.dev/job',
  subject: 'spindle.dev/subject',
} as const;

export const MANAGED_BY = 'spindle';

/** Exact values a label cannot hold (label values are sanitised). */
export const ANNOTATIONS = {
  jobId: 'spindle.dev/job-id',
  logDir: 'spindle.dev/log-dir',
  port: 'spindle.dev/port',
} as const;

/** A label value: at most 63 of `[A-Za-z0-9._-]`, starting and ending alphanumeric. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** `spindle-<job id>` as a DNS label (what Service names need): lower case, at most 63. */
export function objectName(jobId: string): string {
  const base = `spindle-${jobId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  return base.slice(0, 63).replace(/-+$/, '');
}

export function jobLabels(jobId: string, name: string, version: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.job]: labelValue(jobId),
    [LABELS.subject]: labelValue(`${name}-${version}`),
  };
}

export const managedSelector = `${LABELS.managedBy}=${MANAGED_BY}`;
export const jobSelector = (jobId: string): string => `${managedSelector},${LABELS.job}=${labelValue(jobId)}`;
