/**
 * Preloaded (`node --require`) into the Prism process that src/mock/prism.ts starts. The parent
 * holds the other end of an IPC channel; however the parent ends (exit, crash, SIGKILL, a test
 * runner killing its worker), the operating system closes that channel, and Prism then stops too:
 * no orphaned mock keeps a port. CommonJS because `--require` loads it before Prism's own code.
 */
'use strict';
/* global process */
if (process.channel) {
  // The channel must not keep Prism alive by itself, nor stop it from exiting normally.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
