/**
 * Domain errors carry a stable code and a kind; the API maps the kind to an HTTP status
 * (validation 422, conflict 409, not found 404, forbidden 403) and the code into API.md's error body.
 */
export type DomainErrorKind = 'validation' | 'conflict' | 'not_found' | 'forbidden' | 'bad_request';

export type ErrorDetail = Readonly<{ field: string; rule: string; message: string }>;

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationError = (field: string, rule: string, message: string): DomainError =>
  new DomainError('validation', 'validation_failed', message, [{ field, rule, message }]);

export const notFound = (what: string, id: string): DomainError =>
  new DomainError('not_found', `${what.replace(/ /g, '_')}_not_found`, `No ${what} with id ${id}.`);

export const conflict = (code: string, message: string): DomainError => new DomainError('conflict', code, message);

/** Exhaustiveness check: a missing case in a switch over a union fails to compile here. */
export const assertNever = (value: never): never => {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
};
