import type { Sender } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';

/** Who a connection speaks as in the events it causes: only what its credential says. */
export function sender(conn: Connection): Sender {
  const { userId, username, email, authenticated } = conn.identity;
  const from: Sender = email === undefined ? { id: userId, name: username } : { id: userId, name: username, email };
  if (!authenticated) from.guest = true;
  return from;
}
