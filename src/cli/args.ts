/** Small helpers shared by the project's command-line entry points and the verifier's curl reproducers. */

/** Parses a TCP port (`0` = any free port); undefined when `value` is not one. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65_535 ? port : undefined;
}

/** Prints a one-line reason on stderr and exits with `code`. */
export function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

/** Quotes a value as one word for a POSIX shell (single quotes; `'` becomes `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
