export * from './identity';
export * from './jwt-verifier';
export * from './token-extractor';
