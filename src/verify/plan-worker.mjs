// Entry of the planner's worker thread (src/verify/planner.ts). Plain JavaScript: a worker does not
// inherit the TypeScript loader of the thread that started it, so this registers tsx (a dependency
// of the kit) for this thread, then loads the planner itself.
import { register } from 'tsx/esm/api';

register();
await import('./plan-thread.ts');
