/** The peer: the project's Prism mock (Prism runs as its own process; this child only starts it). */
import { serve } from './serve.ts';

await serve(async () => {
  const { startPrismMock } = await import('../../src/mock/prism.ts');
  // Its request log off, as the sandbox's is in the rows it is compared with: logging about four
  // lines a request halves Prism's throughput, and a row comparing a silent sandbox with a logging
  // Prism measured the logging, not the servers.
  const mock = await startPrismMock({ port: 0, requestLog: false });
  return { port: mock.port, close: () => mock.close() };
}, 'Prism mock (src/mock/prism.ts)');
