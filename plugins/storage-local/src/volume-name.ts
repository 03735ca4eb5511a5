import { RejectedError } from 'spindle/plugin-sdk';

/** Names that are safe as one directory name; a leading `.` is kept for the backend's temp dirs. */
export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Refuse a name that is not a valid volume name (`RejectedError`, 400), naming the rule. */
export function checkVolumeName(name: string): string {
  if (typeof name !== 'string' || !VOLUME_NAME.test(name)) {
    throw new RejectedError(
      `volume name ${JSON.stringify(name)} is invalid: use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      { details: { name, pattern: VOLUME_NAME.source } },
    );
  }
  return name;
}
