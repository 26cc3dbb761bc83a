/** The standalone server (gateway + api in one process), for tests that start it in process. */
export { startStandaloneServer } from './bootstrap';
