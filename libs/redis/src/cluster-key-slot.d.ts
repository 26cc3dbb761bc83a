declare module 'cluster-key-slot' {
  /** Redis Cluster's key slot of `key` (CRC16 of the key, or of its `{hash tag}`, mod 16384). */
  function generate(key: string | Buffer): number;
  export default generate;
}
