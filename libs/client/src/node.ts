import { nodeRuntime } from './node-runtime';
import { setRuntime } from './runtime';

/**
 * The Node entry: `ws` for sockets and `werift` (WebRTC in pure TypeScript, no native
 * download) for peer connections, behind the same API as the browser build. werift is an
 * optional peer dependency, loaded only when a PeerManager is created.
 */
setRuntime(nodeRuntime);

export * from './index';
