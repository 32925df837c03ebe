/**
 * Debian's Chromium for the browser checks, driven by playwright-core (no browser download).
 * Without Chromium the checks are skipped with install instructions, except under CI=true, where a
 * missing Chromium is a failure: CI must run them (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** Flags for a root, offline, headless run: without the background-networking ones Chromium keeps dialling out. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const HAS_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';
const INSTALL_HINT = `install it with \`apt-get install -y chromium\``;

/** Why the browser checks cannot run here, or undefined when they can (they always must under CI). */
export function chromiumSkipReason(): string | undefined {
  if (HAS_CHROMIUM) return undefined;
  if (IN_CI) throw new Error(`CI=true but ${CHROMIUM} is missing: ${INSTALL_HINT}`);
  return `Chromium not found at ${CHROMIUM}; ${INSTALL_HINT} to run the browser checks`;
}

/** Launches Debian's Chromium headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
