/**
 * The closed set of error codes. Every failure a user can see maps to one of these,
 * and each code maps to exactly one exit code and one HTTP status, here and nowhere else.
 */
export const errorCodes = {
  BAD_INPUT: { exit: 2, http: 400, meaning: 'a CLI argument, file or request is malformed' },
  CONFIG_INVALID: { exit: 2, http: 422, meaning: 'registry or configuration rows break a rule' },
  NOT_FOUND: { exit: 2, http: 404, meaning: 'a named run, module, strategy or file does not exist' },
  UNAUTHORIZED: { exit: 2, http: 401, meaning: 'an HTTP request without a valid bearer token' },
  FORBIDDEN: { exit: 2, http: 403, meaning: "a dashboard form without its session's CSRF token" },
  METHOD_NOT_ALLOWED: { exit: 2, http: 405, meaning: 'an HTTP method the path does not accept' },
  PAYLOAD_TOO_LARGE: { exit: 2, http: 413, meaning: 'an HTTP request body over the size limit' },
  HEADERS_TOO_LARGE: { exit: 2, http: 431, meaning: 'HTTP request headers over the size limit' },
  RATE_LIMITED: { exit: 1, http: 429, meaning: 'too many failed authentications from one address; retry later' },
  CONTRACT_INPUT: { exit: 1, http: 422, meaning: 'a module was given input that breaks the context contract' },
  CONTRACT_OUTPUT: { exit: 1, http: 500, meaning: 'a module returned output that breaks the context contract' },
  MODULE_FAILED: { exit: 1, http: 500, meaning: 'a module threw or could not be loaded' },
  TRANSIENT: { exit: 1, http: 503, meaning: 'a dependency (database, exchange) is unreachable; retry later' },
  TIMEOUT: { exit: 1, http: 504, meaning: 'an operation took longer than its limit' },
  LOCKED: { exit: 4, http: 409, meaning: 'another run or process holds the lock' },
  HALTED: { exit: 3, http: 409, meaning: 'the run was halted by policy or refused by the risk gate' },
  INTEGRITY: { exit: 5, http: 500, meaning: 'stored data failed an integrity check (e.g. the audit chain is broken)' },
  INTERNAL: { exit: 1, http: 500, meaning: 'a bug in trader itself' },
  INTERRUPTED: {
    exit: 143,
    http: 503,
    meaning: 'stopped by SIGTERM or SIGINT before it finished; nothing half-written',
  },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** An error meant for the user: `message` is one sentence that says what to do. */
export class TraderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TraderError';
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

export function isTraderError(e: unknown): e is TraderError {
  return e instanceof TraderError;
}

/** Wraps anything thrown into a TraderError, keeping user-facing errors as they are. */
export function toTraderError(e: unknown): TraderError {
  if (isTraderError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new TraderError('INTERNAL', `Unexpected error: ${message}`);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
