/**
 * Every expected failure is a GuardError with a stable `code`;
 * report-error.ts turns it into one line and an exit code (SPEC §5).
 */
export type ErrorCode =
  | 'usage' // 64
  | 'idp' // 69: identity provider unreachable or misbehaving
  | 'keychain' // 69: no usable keychain
  | 'unavailable' // 69: something else we depend on is down (central policy)
  | 'auth' // 77: authentication required / denied / expired / failed
  | 'config' // 78: configuration invalid or untrusted where needed
  | 'cancelled' // 130
  | 'not_found' // 127: the wrapped command does not exist
  | 'io'; // 74: a local file could not be written

const EXIT_CODES: Record<ErrorCode, number> = {
  usage: 64,
  idp: 69,
  keychain: 69,
  unavailable: 69,
  auth: 77,
  config: 78,
  cancelled: 130,
  not_found: 127,
  io: 74,
};

export class GuardError extends Error {
  readonly code: ErrorCode;
  /** Extra lines shown only with --verbose. Never token material. */
  readonly detail: string | undefined;
  /** The line was already shown to the tool that runs guard (a plugin run again at once): exit with the code, print nothing. */
  readonly said: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; detail?: string; said?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GuardError';
    this.code = code;
    this.detail = options.detail;
    this.said = options.said ?? false;
  }
}

export function exitCodeForCode(code: ErrorCode): number {
  return EXIT_CODES[code];
}

export function exitCodeFor(error: unknown): number {
  return error instanceof GuardError ? EXIT_CODES[error.code] : 70;
}

export function isGuardError(error: unknown, code?: ErrorCode): error is GuardError {
  return error instanceof GuardError && (code === undefined || error.code === code);
}
