/**
 * Typed errors with documented exit codes. Only src/cli/main.ts turns them into
 * process exit statuses; everything else throws.
 */
export const EXIT = {
  ok: 0,
  /** A bug: something the tool did not expect. Prints how to report it. */
  internal: 1,
  /** The command line was wrong: unknown flag, missing argument, bad value. */
  usage: 2,
  /** Log-in failed: unknown or disabled operator, wrong password. */
  auth: 3,
  /** Not allowed: role, missing training, or a policy rule (agency, hold, retention). */
  denied: 4,
  /** Something named does not exist (operator, camera, drive, image, request, home). */
  notFound: 5,
  /** The request conflicts with the current state (home exists, illegal drive move, duplicate id). */
  conflict: 6,
  /** Another custody process holds the home's lock, or a stale lock needs attention. */
  locked: 7,
  /** Integrity failure: a tampered or corrupt ledger, a hash that does not match, a bad signature. */
  integrity: 8,
  /** Partly done: some files failed (listed); what succeeded is kept. */
  partial: 9,
  /** The disk or a drive failed: full disk, vanished drive, unreadable file system. */
  io: 10,
  /** Health check found something critical. */
  critical: 11,
  /** Interrupted (Ctrl-C); nothing half-written. */
  interrupted: 130,
} as const;

export type ErrorCode = Exclude<keyof typeof EXIT, 'ok'>;

export class CustodyError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CustodyError';
    this.code = code;
    this.hint = hint;
  }
  get exitCode(): number {
    return EXIT[this.code];
  }
}

export function isCustodyError(e: unknown, code?: ErrorCode): e is CustodyError {
  return e instanceof CustodyError && (code === undefined || e.code === code);
}

/** Turn anything thrown into an Error (exiftool-vendored's `toError`). */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
