// Entry point: `node dist/apps/gateway/main.js`.
import './src/main';
