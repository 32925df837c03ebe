/**
 * Misbehaving targets for the verifier: each is a real server on 127.0.0.1:0 with exactly one
 * transport-level fault (or a hostile answer), so a test can point `npm run verify` at it and check
 * that the run ends in time with a failure that names the fault.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Every fault a target can have. */
export const FAULTS = [
  'refuses-connections',
  'hangs-mid-response',
  'answers-slowly',
  'huge-body',
  'endless-body',
  'closes-socket-early',
  'answers-html',
  'answers-garbage',
  'echoes-credential',
] as const;

/** One fault. */
export type Fault = (typeof FAULTS)[number];

/** A running faulty target. */
export interface FaultyTarget {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Requests (or connections, for raw faults) it received. */
  hits(): number;
  /** Stops it and destroys every open connection. */
  close(): Promise<void>;
}

const FIFTY_MIB = 50 * 1024 * 1024;

/** Starts a target with `fault`. `slowMs` is how often the slow target sends its next byte. */
export async function startFaultyTarget(fault: Fault, options: { slowMs?: number } = {}): Promise<FaultyTarget> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const every = (ms: number, fn: () => void): void => {
    const t = setInterval(fn, ms);
    timers.add(t);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    hits += 1;
    req.resume();
    switch (fault) {
      case 'hangs-mid-response':
        // Headers and half a body promised by Content-Length, then silence.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"referralId":"ref-');
        return;
      case 'answers-slowly': {
        // One byte at a time, each within any idle timeout: only a deadline on the whole answer ends it.
        res.writeHead(200, { 'content-type': 'application/json' });
        every(options.slowMs ?? 100, () => res.write(' '));
        return;
      }
      case 'huge-body': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(FIFTY_MIB) });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < FIFTY_MIB && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case 'endless-body': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.from(`[${'0,'.repeat(32 * 1024)}`);
        const pump = (): void => {
          while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
        };
        pump();
        return;
      }
      case 'closes-socket-early':
        req.socket.destroy();
        return;
      case 'answers-html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
        return;
      case 'echoes-credential': {
        // A hostile target that reflects the caller's credential everywhere it can.
        const auth = req.headers.authorization ?? '';
        const body = JSON.stringify({ referralId: auth, url: `http://127.0.0.1/${auth}`, type: auth, statusCode: auth, message: [auth], error: auth });
        res.writeHead(req.headers.authorization ? 200 : 401, { 'content-type': 'application/json', 'x-echo': auth.replace(/[^\x20-\x7e]/g, '') });
        res.end(body);
        return;
      }
      default:
        res.writeHead(500).end();
    }
  };

  let server: Server;
  if (fault === 'answers-garbage') {
    // Not HTTP at all: whatever is asked, bytes that no HTTP parser accepts.
    server = createTcpServer((socket) => {
      hits += 1;
      socket.on('error', () => {});
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\u0000\u0001garbage'));
    });
  } else {
    server = createHttpServer(handle);
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const closeServer = (): Promise<void> =>
    new Promise((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  if (fault === 'refuses-connections') await closeServer(); // the port is now closed: connections are refused

  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => (fault === 'refuses-connections' ? Promise.resolve() : closeServer()),
  };
}
