// Entry point: `node dist/apps/api/main.js`.
import './src/main';
