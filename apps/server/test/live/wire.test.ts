import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { textFrame } from '../../src/live/wire.ts';

describe('live wire: prebuilt text frames', () => {
  it('a real WebSocket client reads them as the texts they were made from, at every header size', async () => {
    const texts = ['', 'a', 'x'.repeat(125), 'y'.repeat(126), 'é€😀'.repeat(40), 'z'.repeat(65535), 'w'.repeat(65536), 'v'.repeat(200_000)];
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, () => {
        // Straight onto the TCP socket, as the live endpoint writes them.
        for (const t of texts) socket.write(textFrame(t));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: false });
    const got: { text: string; binary: boolean }[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('message', (data: Buffer, isBinary) => {
        got.push({ text: data.toString('utf8'), binary: isBinary });
        if (got.length === texts.length) resolve();
      });
      client.on('error', reject);
    });
    client.close();
    server.close();
    expect(got.map((g) => g.binary)).toEqual(texts.map(() => false));
    expect(got.map((g) => g.text)).toEqual(texts);
  });
});
