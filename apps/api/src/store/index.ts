export { DATABASE, type Database, type Queryable, type Row } from './database';
export { createDatabase, type DatabaseConfig } from './database.factory';
export { PgliteDatabase } from './pglite.database';
export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres.database';
export { migrate, MIGRATIONS, type Migration } from './migrations';
export { DuplicateEmailError } from './duplicate-email.error';
export { DuplicateUsernameError } from './duplicate-username.error';
export { USER_STORE, type NewUser, type UserRecord, type UserStore } from './user.store';
export { SqlUserStore } from './sql.user.store';
export {
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MESSAGE_STORE,
  type HistoryQuery,
  type MessageRecord,
  type MessageStore,
  type NewMessage,
  type OutboxEventBuilder,
} from './message.store';
export { SqlMessageStore } from './sql.message.store';
export { OUTBOX_STORE, type OutboxEvent, type OutboxRow, type OutboxStore, type TakeResult } from './outbox.store';
export { SqlOutboxStore, appendOutbox } from './sql.outbox.store';
export { OutboxRelay, type OutboxRelayOptions, type RelayHealth } from './outbox-relay';
