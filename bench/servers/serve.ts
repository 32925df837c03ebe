/**
 * The child side of bench/lib/child.ts: reports the port once listening, answers memory probes and
 * exits gracefully on request (so `--cpu-prof` can write its profile).
 */
import type { ChildReply, ChildRequest } from './protocol.ts';

/** A started server: its port and how to close it. */
export interface Started {
  port: number;
  close(): Promise<void>;
  /** The server's own counters (the sandbox's drafts and links), sent with each memory probe. */
  stats?: () => unknown;
}

function send(reply: ChildReply): void {
  process.send?.(reply);
}

/** Runs `start` and wires it to the harness; `missing` names the part a failed import points to. */
export async function serve(start: () => Promise<Started>, missing: string): Promise<void> {
  let started: Started;
  try {
    started = await start();
  } catch (err) {
    send({ type: 'unavailable', reason: (err as Error).message.split('\n')[0] ?? 'failed', missing });
    process.disconnect?.();
    return;
  }
  process.on('message', (request: ChildRequest) => {
    if (request.type === 'memory') {
      if (request.gc) globalThis.gc?.();
      send({ type: 'memory', id: request.id, memory: process.memoryUsage(), cpu: process.cpuUsage(), stats: started.stats?.() });
    } else if (request.type === 'close') {
      void started.close().finally(() => process.exit(0));
    }
  });
  // The harness died: do not linger.
  process.on('disconnect', () => {
    void started.close().finally(() => process.exit(0));
  });
  send({ type: 'ready', port: started.port });
}
