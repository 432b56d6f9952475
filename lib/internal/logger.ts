/**
 * The logger the library writes warnings and server errors to. The signature is pino's
 * (`logger.error(obj, msg)`), so a pino, bunyan-style or console-backed logger fits.
 * Nothing passed here ever contains a secret, password, code or token.
 */
export interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The default: one JSON line per event on stderr. */
export const stderrLogger: Logger = {
  warn: (obj, msg) => process.stderr.write(`${line('warn', obj, msg)}\n`),
  error: (obj, msg) => process.stderr.write(`${line('error', obj, msg)}\n`),
};

function line(level: string, obj: object, msg?: string): string {
  return JSON.stringify({ level, msg, ...obj, name: 'express-oauth2-provider' }, (_key, value: unknown) =>
    // Errors have no enumerable fields; keep what explains them (never their stack: logs are
    // read by people who should not need our internals to know what broke).
    value instanceof Error ? { type: value.name, message: value.message } : value,
  );
}
