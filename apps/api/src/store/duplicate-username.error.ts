/** Thrown by `UserStore.create` when the username is taken, compared case-insensitively. */
export class DuplicateUsernameError extends Error {
  readonly code = 'DUPLICATE_USERNAME';

  constructor(readonly username: string) {
    super(`username already taken: ${username}`);
    this.name = 'DuplicateUsernameError';
  }
}
