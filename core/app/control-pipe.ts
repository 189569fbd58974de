/**
 * IISNODE_CONTROL_PIPE (recycleSignalEnabled): a pipe an app can write `recycle` to, to ask for a graceful recycle
 * of itself. iisnode accepted one connection and one message, then went deaf, and recycled all of IIS; Berth
 * accepts any number of connections and recycles only the app that owns the pipe.
 */
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { endpointId, endpointIsFile, workerEndpoint, type Platform } from '../platform/platform.js';

/** iisnode's limit for one message. */
const MAX_MESSAGE_BYTES = 64;

export class ControlPipe {
  private constructor(
    readonly endpoint: string,
    private readonly server: net.Server,
    private readonly platform: Platform,
  ) {}

  static async open(platform: Platform, onRecycle: () => void): Promise<ControlPipe> {
    const endpoint = workerEndpoint(platform, endpointId());
    const server = net.createServer((socket) => {
      let text = '';
      const check = () => {
        // iisnode compared the whole message, case-insensitively.
        if (text.trim().toLowerCase() === 'recycle') {
          text = '';
          onRecycle();
        }
      };
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > MAX_MESSAGE_BYTES) socket.destroy();
        else if (text.trim().toLowerCase() === 'recycle') check();
      });
      socket.on('end', () => {
        check();
        socket.end();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(endpoint, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    return new ControlPipe(endpoint, server, platform);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (endpointIsFile(this.platform)) await rm(this.endpoint, { force: true });
  }
}
