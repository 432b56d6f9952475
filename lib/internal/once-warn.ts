const warned = new Set<string>();

/**
 * Emits a process warning once per process for a given code, so a misconfiguration is
 * visible without flooding the log on every request or every server instance.
 */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { code, type: 'ExpressOAuth2ProviderWarning' });
}
