/**
 * Servers under test run in their own process, so the load generator (autocannon, in the parent)
 * and the server each get a core instead of sharing one event loop. The child says it is ready over
 * IPC with its port, and answers memory probes over the same channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReply, ChildRequest } from '../servers/protocol.ts';

/** A running server child. */
export interface ServerChild {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  pid: number;
  /** Memory and CPU time of the child, optionally after a full GC (it runs with `--expose-gc`), and its stats. */
  memory(gc?: boolean): Promise<{ memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage; stats?: unknown }>;
  /** Asks the child to close its server and exit; kills it if it does not within 5 s. */
  close(): Promise<void>;
}

/** Options of {@link startServerChild}. */
export interface StartChildOptions {
  /** Arguments passed to the server script. @default [] */
  args?: string[];
  /** Extra node flags, e.g. `--cpu-prof`. @default [] */
  nodeFlags?: string[];
  /** How long to wait for the ready message. @default 30000 */
  readyTimeoutMs?: number;
  /** Environment for the child. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Thrown when a child cannot start its server; `missing` names a part that is not there yet. */
export class ChildStartError extends Error {
  constructor(
    message: string,
    readonly missing?: string,
  ) {
    super(message);
  }
}

/** Starts `bench/servers/<name>.ts` (or the script at an absolute path) in a child process and waits until it listens. */
export async function startServerChild(name: string, options: StartChildOptions = {}): Promise<ServerChild> {
  const script = isAbsolute(name) ? name : fileURLToPath(new URL(`../servers/${name}.ts`, import.meta.url));
  const child = fork(script, options.args ?? [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])],
    // stdout is drained (a sandbox with logging on writes there); stderr kept for start failures.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: options.env ?? process.env,
  });
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });

  const ready = await waitForReady(child, options.readyTimeoutMs ?? 30_000, () => stderr);
  const port = ready.port;
  let nextId = 0;
  const pending = new Map<number, (reply: ChildReply) => void>();
  child.on('message', (reply: ChildReply) => {
    if ('id' in reply) pending.get(reply.id)?.(reply);
  });
  const ask = (request: ChildRequest): Promise<ChildReply> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error(`bench server ${name} is gone`));
      pending.set(request.id, (reply) => {
        pending.delete(request.id);
        resolve(reply);
      });
      child.send(request);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    async memory(gc = false) {
      const reply = await ask({ type: 'memory', id: nextId++, gc });
      if (reply.type !== 'memory') throw new Error(`bench server ${name}: unexpected reply ${reply.type}`);
      return { memory: reply.memory, cpu: reply.cpu, stats: reply.stats };
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      // A graceful exit lets `--cpu-prof` write its profile.
      if (child.connected) child.send({ type: 'close', id: nextId++ } satisfies ChildRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForReady(
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const fail = (error: ChildStartError): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    const onMessage = (message: ChildReply): void => {
      if (message.type === 'ready') {
        cleanup();
        resolve({ port: message.port });
      } else if (message.type === 'unavailable') {
        fail(new ChildStartError(message.reason, message.missing));
      }
    };
    const onExit = (code: number | null): void =>
      fail(new ChildStartError(`exited with ${code} before listening: ${lastLine(stderr())}`));
    const timer = setTimeout(() => fail(new ChildStartError(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || '(no output)';
}
