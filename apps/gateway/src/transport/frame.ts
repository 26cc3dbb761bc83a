/**
 * Encodes a server-to-client text frame (RFC 6455: FIN, opcode 1, unmasked) once, so the
 * same bytes can be written to every recipient without re-framing.
 */
export function textFrame(text: string): Buffer {
  const payloadLength = Buffer.byteLength(text);
  const headerLength = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  frame[0] = 0x81;
  if (headerLength === 2) {
    frame[1] = payloadLength;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), 2);
    frame.writeUInt32BE(payloadLength >>> 0, 6);
  }
  frame.write(text, headerLength, 'utf8');
  return frame;
}

/** A server-to-client ping with no payload (FIN, opcode 9, unmasked): the same two bytes for every connection. */
export const PING_FRAME: Buffer = Buffer.from([0x89, 0x00]);
