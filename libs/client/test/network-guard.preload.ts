import { guardNetwork } from './network-guard';

/** `node --require` this (bundled) into a child process: its violations go to stderr as `network-guard: …` lines. */
guardNetwork((violation) => process.stderr.write(`network-guard: ${violation}\n`));
