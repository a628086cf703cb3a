// Errors a user can act on: bad input files, unknown names, impossible configurations. The CLI prints the
// message alone (no stack trace) and exits with code 2. Anything else is a bug and keeps its stack.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Builds the standard "unknown X 'y': valid choices are a, b, c" message. */
export function unknownChoice(what: string, got: string, valid: readonly string[]): UserError {
  return new UserError(`unknown ${what} '${got}': valid choices are ${valid.join(', ')}`);
}
