import type { CredentialChange, CredentialDirectory, CredentialListener, KeyOwner } from './credential-directory';

/** What the nodes of one process share (the standalone server: api and gateway). */
export class MemoryCredentialStore {
  readonly keys = new Map<string, KeyOwner>();
  readonly users = new Set<string>();
  readonly revoked = new Map<string, number>();
  readonly nodes = new Set<MemoryCredentialDirectory>();
  keysLoaded = false;
}

/** The in-process CredentialDirectory (standalone, memory bus); see the interface for its guarantees. */
export class MemoryCredentialDirectory implements CredentialDirectory {
  private readonly listeners: CredentialListener[] = [];

  constructor(
    private readonly retentionMs: number,
    private readonly store = new MemoryCredentialStore(),
  ) {}

  async start(): Promise<void> {
    this.store.nodes.add(this);
  }

  watch(listener: CredentialListener): void {
    this.listeners.push(listener);
  }

  async findKey(keyHash: string): Promise<KeyOwner | undefined> {
    const owner = this.store.keys.get(keyHash);
    return owner && { ...owner, permissions: [...owner.permissions] };
  }

  async putKey(keyHash: string, owner: KeyOwner, replaces?: string): Promise<void> {
    if (replaces !== undefined && replaces !== keyHash && this.store.keys.delete(replaces)) {
      this.emit({ kind: 'key_revoked', userId: owner.userId, keyHash: replaces });
    }
    this.store.keys.set(keyHash, { ...owner, permissions: [...owner.permissions] });
    this.store.users.add(owner.userId);
  }

  async isRegistered(userId: string): Promise<boolean | undefined> {
    return this.store.users.has(userId) || (this.store.keysLoaded ? false : undefined);
  }

  async revokeSessions(userId: string, validFrom: number): Promise<void> {
    const current = this.store.revoked.get(userId) ?? 0;
    if (validFrom <= current) return;
    this.store.revoked.set(userId, validFrom);
    this.emit({ kind: 'sessions_revoked', userId, validFrom });
  }

  async markKeysLoaded(): Promise<void> {
    this.store.keysLoaded = true;
  }

  async keysLoaded(): Promise<boolean> {
    return this.store.keysLoaded;
  }

  async revocations(): Promise<Map<string, number>> {
    const oldest = (Date.now() - this.retentionMs) / 1000;
    const out = new Map<string, number>();
    for (const [userId, validFrom] of this.store.revoked) {
      if (validFrom >= oldest) out.set(userId, validFrom);
      else this.store.revoked.delete(userId);
    }
    return out;
  }

  async close(): Promise<void> {
    this.store.nodes.delete(this);
  }

  private emit(change: CredentialChange): void {
    for (const node of this.store.nodes) {
      setImmediate(() => {
        for (const listener of node.listeners) listener(change);
      });
    }
  }
}
