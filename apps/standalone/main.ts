// Entry point of `npm start`: `node dist/apps/standalone/main.js`.
import './src/main';
