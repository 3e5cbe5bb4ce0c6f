/**
 * A WebSocket text frame as the server sends it (RFC 6455 §5.2: FIN set, opcode 1 for
 * text, no mask, no extension bits), built once and written as it is to every connection
 * that receives the same message: server frames are not masked, so one buffer serves them
 * all. (`ws` would measure, frame and encode the same string again for each recipient.)
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

/** A frame's text, with its wire form built on first use and then shared. */
export class Outgoing {
  private wire: Buffer | null = null;
  constructor(readonly text: string) {}
  get frame(): Buffer {
    return (this.wire ??= textFrame(this.text));
  }
}
