/** Messages between the harness and a server child (IPC). */

/** Harness → child. */
export type ChildRequest = { type: 'memory'; id: number; gc: boolean } | { type: 'close'; id: number };

/** Child → harness. */
export type ChildReply =
  | { type: 'ready'; port: number }
  /** The part under test is not there (`missing` names it) or could not start: the row is reported as not measured. */
  | { type: 'unavailable'; reason: string; missing?: string }
  | { type: 'memory'; id: number; memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage; stats?: unknown };
