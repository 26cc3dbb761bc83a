/** Thrown by `UserStore.create` when the email belongs to another user, compared case-insensitively. */
export class DuplicateEmailError extends Error {
  readonly code = 'DUPLICATE_EMAIL';

  constructor(readonly email: string) {
    super('email already registered');
    this.name = 'DuplicateEmailError';
  }
}
