/** Fuzzing arbitraries for every dialect's frames, for the codec specs and the gateway's fuzz test. */
export * from './frame.arbitrary';
