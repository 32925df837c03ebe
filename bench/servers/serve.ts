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

/** Runs `start` and wires it to the harness; `part` names what a failed import or start points to. */
export async function serve(start: () => Promise<Started>, part: string): Promise<void> {
  let started: Started;
  try {
    started = await start();
  } catch (err) {
    const firstLine = (err as Error).message.split('\n')[0] ?? 'failed';
    // Only an absent module makes the part "missing"; anything else is a failure to start, said as such.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') send({ type: 'unavailable', reason: firstLine, missing: part });
    else send({ type: 'unavailable', reason: `${part} did not start: ${firstLine}` });
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
