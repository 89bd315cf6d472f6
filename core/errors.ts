import { z } from 'zod';

/**
 * The closed set of error codes every host speaks. Scripts branch on these, so the set only
 * grows by deliberate decision and a code is never renamed.
 */
export const errorCodes = [
  'bad_input', // the caller sent something malformed: a field, a file, a package
  'not_found', // a named thing (skill, command, file, motor) does not exist
  'refused', // policy said no: audit failed, permission tier, user declined a confirmation
  'unsafe', // the engine was not confident enough to act, or a safety limit tripped
  'timeout', // a deadline passed
  'aborted', // the caller (or the kill switch) cancelled
  'unavailable', // a dependency is missing: no display, no GPU, no endpoint, port busy
  'internal', // a bug in Skillframe, including a handler output that broke its schema
] as const;

export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Process exit statuses by error code (plus `usage`); scripts rely on these, so they never change. */
export const exitCodes: Record<ErrorCode | 'usage', number> = {
  usage: 2,
  bad_input: 2,
  refused: 3,
  unsafe: 4,
  not_found: 5,
  timeout: 6,
  unavailable: 7,
  aborted: 130,
  internal: 1,
};

/** The exit status for an error code as a report carries it (a string); unknown codes are 1. */
export function exitCodeFor(code: string | undefined): number {
  return code !== undefined && Object.hasOwn(exitCodes, code) && code !== 'usage' ? exitCodes[code as ErrorCode] : 1;
}

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error that knows its contract code. Anything thrown that is not one becomes `internal`. */
export class SkillframeError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'SkillframeError';
    this.code = code;
    this.details = details;
  }
  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isSkillframeError(value: unknown): value is SkillframeError {
  return value instanceof SkillframeError;
}

/** Shows a value in an error message without flooding it. */
export function showValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Turns a zod failure into one readable sentence naming every bad field and the value it had,
 * e.g. `input.port: expected number, got "abc"`.
 */
export function describeZodError(error: z.ZodError, root: unknown, prefix = 'input'): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].join('.');
      const value = valueAt(root, issue.path);
      const shown = value === undefined ? 'missing' : `got ${showValue(value)}`;
      return `${path}: ${issue.message} (${shown})`;
    })
    .join('; ');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Parses with a schema and throws `bad_input` naming the field and the value. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what = 'input'): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new SkillframeError('bad_input', describeZodError(result.error, value, what), {
      issues: result.error.issues.map((issue) => ({ path: [what, ...issue.path.map(String)].join('.'), message: issue.message })),
    });
  }
  return result.data;
}

/** Converts anything thrown into a contract error body. */
export function toErrorBody(error: unknown): ErrorBody {
  if (isSkillframeError(error)) return error.toBody();
  if (error instanceof Error && error.name === 'AbortError') return { code: 'aborted', message: error.message || 'aborted' };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
