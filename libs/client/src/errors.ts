/**
 * Why a request of the chat client failed, or why the client stopped: `code` is stable
 * (the server's own error code — `room_full`, `forbidden`, `rate_limited`… — or one of the
 * client's: `unauthorized`, `token_expired`, `token_failed`, `rate_limit`, `message_too_big`,
 * `queue_full`, `timeout`, `closed`), `message` the server's own reason when it gave one.
 */
export class SwitchboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The room (or channel) the refused frame named. */
    readonly room?: string,
    /** The close code that ended the connection, for a `failed` client. */
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = 'SwitchboardError';
  }
}
