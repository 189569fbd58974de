/** Inspector ports from `debuggerPortRange`, checked free before use, so debug sessions never clash. */
import net from 'node:net';

export interface PortRange {
  start: number;
  end: number;
}

/** Parses `5058-6058` or `9229` (already validated by the schema). */
export function parsePortRange(value: string): PortRange {
  const [start, end] = value.trim().split('-').map((part) => Number(part.trim()));
  return { start: start!, end: end ?? start! };
}

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export class NoFreePortError extends Error {
  constructor(range: PortRange) {
    super(
      `No free port in debuggerPortRange ${range.start}-${range.end}: every port is in use. ` +
        'Stop another debug session, close the programs using those ports, or set a wider debuggerPortRange in berth.yml.',
    );
    this.name = 'NoFreePortError';
  }
}

/**
 * Finds a free port, round robin through the range starting after the last one handed out (as iisnode did), so a
 * new session (after a recycle) gets a new port and a debugger still attached to the old one is not confused.
 */
export class PortAllocator {
  private last: number | undefined;

  constructor(private readonly probe: (port: number) => Promise<boolean> = isPortFree) {}

  async allocate(range: PortRange): Promise<number> {
    const size = range.end - range.start + 1;
    const first = this.last === undefined || this.last < range.start || this.last >= range.end ? range.start : this.last + 1;
    for (let i = 0; i < size; i++) {
      const port = range.start + ((first - range.start + i) % size);
      if (await this.probe(port)) {
        this.last = port;
        return port;
      }
    }
    throw new NoFreePortError(range);
  }
}
