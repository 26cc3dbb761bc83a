import { MemoryCredentialDirectory, MemoryCredentialStore } from './memory.credential-directory';
import { credentialDirectoryContract } from './testing/credential-directory.contract';

credentialDirectoryContract('memory', async (n, retentionMs) => {
  const store = new MemoryCredentialStore();
  const nodes = Array.from({ length: n }, () => new MemoryCredentialDirectory(retentionMs, store));
  await Promise.all(nodes.map((d) => d.start()));
  return { nodes, close: async () => void (await Promise.all(nodes.map((d) => d.close()))) };
});
