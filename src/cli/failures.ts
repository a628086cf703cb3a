// How the CLI words a failure that is not a UserError: a file-system error on a path the user gave is the
// user's to fix (one line naming the path); anything else is a bug in hwq (message, stack, where to report).
/** Node's codes for a path the user named that cannot be used as asked. */
const PATH_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'it already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

export function reasonOf(code: string): string {
  return PATH_ERRORS[code] ?? code;
}

/** One line for a file-system error on a user's path, or undefined when it is not one. */
export function pathErrorLine(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof err.code !== 'string' || !(err.code in PATH_ERRORS) || typeof err.path !== 'string') return undefined;
  const verb = err.syscall ? `${err.syscall} ` : '';
  return `cannot ${verb}'${err.path}': ${PATH_ERRORS[err.code]} (${err.code})`;
}

/** The report of an internal error: what failed, the stack, and that it is a bug to report. */
export function internalErrorText(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  return `hwq: internal error: ${err.message}\n${err.stack ?? ''}\nThis is a bug in hwq: please report it with the command line and this output to the hwq maintainers.\n`;
}
