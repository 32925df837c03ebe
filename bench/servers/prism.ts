/** The peer: the project's Prism mock (Prism runs as its own process; this child only starts it). */
import { serve } from './serve.ts';

await serve(async () => {
  const { startPrismMock } = await import('../../src/mock/prism.ts');
  const mock = await startPrismMock({ port: 0 });
  return { port: mock.port, close: () => mock.close() };
}, 'Prism mock (src/mock/prism.ts)');
