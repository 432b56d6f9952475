import type { Request } from 'express';
import { InvalidRequestError } from '../errors';

/** Request parameters after parsing: every value a single string. */
export type Params = Record<string, string>;

/** Token requests are a few hundred bytes; anything near this is not a token request. */
const MAX_BODY_BYTES = 64 * 1024;
/** Reused: `decode()` without `stream` starts afresh on every call, after a failure too. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the parameters of a POST to one of our endpoints, from a form-encoded or JSON body.
 *
 * We parse bodies ourselves rather than ask the host to `app.use` a parser: RFC 6749 §3.1
 * forbids repeated parameters, and Express's parsers either merge them into arrays or keep the
 * last one depending on version and options. If the host's own parser already consumed the
 * stream, its result is used, with the same checks.
 *
 * Rules (RFC 6749 §3.1, §3.2): a parameter given twice, a non-string JSON value, a body that
 * does not parse, an unsupported media type or charset, or a body over 64 KiB is
 * `invalid_request`. Parameters with an empty value count as omitted.
 */
export async function readParams(req: Request): Promise<Params> {
  const type = mediaType(req.headers['content-type']);
  // A host's form parser turns repeated parameters into arrays; in JSON an array is a value.
  if (isConsumed(req)) return fromParsedBody(req.body, type.name === 'application/json' ? 'not-a-string' : 'repeated');

  const declared = Number(req.headers['content-length'] ?? 0);
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return Object.create(null) as Params;

  if (req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity') {
    throw new InvalidRequestError('Content-Encoding is not supported');
  }
  if (type.name !== 'application/x-www-form-urlencoded' && type.name !== 'application/json') {
    throw new InvalidRequestError('Content-Type must be application/x-www-form-urlencoded or application/json');
  }
  if (type.charset !== undefined && type.charset !== 'utf-8' && type.charset !== 'utf8') {
    throw new InvalidRequestError('The request body must be UTF-8');
  }
  const text = await readBody(req, declared);
  return type.name === 'application/json' ? fromJson(text) : fromForm(text);
}

export function mediaType(header: string | undefined): { name: string; charset?: string } {
  if (header === undefined) return { name: '' };
  // Most requests send a bare media type: no split, no arrays (every token request comes here).
  if (!header.includes(';')) return { name: header.trim().toLowerCase(), charset: undefined };
  const parts = header.split(';');
  let charset: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const [key, value] = (parts[i] as string).split('=');
    if (key?.trim().toLowerCase() === 'charset') charset = value?.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { name: (parts[0] as string).trim().toLowerCase(), charset };
}

/** True when a body parser of the host's already read the stream (both body-parser 1 and 2). */
export function isConsumed(req: Request): boolean {
  return (req as { _body?: boolean })._body === true || req.readableEnded || (req.complete && !req.readable);
}

export function readBody(req: Request, declared: number): Promise<string> {
  if (declared > MAX_BODY_BYTES) {
    req.resume(); // drain without buffering
    return Promise.reject(new InvalidRequestError('The request body is too large'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        req.resume();
        reject(new InvalidRequestError('The request body is too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      const buffer = Buffer.concat(chunks);
      // fatal: invalid UTF-8 is an error, not silently replaced characters.
      try {
        resolve(STRICT_UTF8.decode(buffer));
      } catch {
        reject(new InvalidRequestError('The request body is not valid UTF-8'));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new InvalidRequestError(`The request body could not be read (${err.name})`));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function fromForm(text: string): Params {
  const params = Object.create(null) as Params;
  // Empty values are dropped here (RFC 6749 §3.1) but still count for repeats; no second pass.
  let empty: Set<string> | undefined;
  for (const [key, value] of new URLSearchParams(text)) {
    if (key in params || empty?.has(key)) throw repeated(key);
    if (value !== '') params[key] = value;
    else {
      empty ??= new Set();
      empty.add(key);
    }
  }
  return params;
}

function fromJson(text: string): Params {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON');
  }
  // JSON.parse keeps the last of repeated keys; find repeats in the text itself.
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw repeated(key);
    seen.add(key);
  }
  return fromParsedBody(parsed, 'not-a-string');
}

/** The keys of the outermost object of a JSON text that JSON.parse already accepted. */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  const string = /"(?:[^"\\]|\\.)*"/y;
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      string.lastIndex = i;
      const match = string.exec(text);
      if (!match) break;
      i = string.lastIndex;
      let j = i;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      if (depth === 1 && text[j] === ':') keys.push(JSON.parse(match[0]) as string);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return keys;
}

/**
 * Checks an already-parsed body: ours from JSON, or the host's parser's. An array value means
 * a repeated parameter when a form parser made it, and a wrong type when JSON had it.
 */
function fromParsedBody(body: unknown, arrays: 'repeated' | 'not-a-string'): Params {
  if (body === undefined || (body === null && arrays === 'repeated')) return Object.create(null) as Params;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new InvalidRequestError('The request body must be a set of parameters');
  }
  const params = Object.create(null) as Params;
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value) && arrays === 'repeated') throw repeated(key);
    if (typeof value !== 'string') throw new InvalidRequestError(`Parameter '${printable(key)}' must be a string`);
    params[key] = value;
  }
  return dropEmpty(params);
}

/** RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted." */
function dropEmpty(params: Params): Params {
  for (const key of Object.keys(params)) if (params[key] === '') delete params[key];
  return params;
}

function repeated(key: string): InvalidRequestError {
  return new InvalidRequestError(`Parameter '${printable(key)}' is included more than once`);
}

/** Echo a parameter name only if it is short and plain; never reflect arbitrary input. */
export function printable(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : '(unnamed)';
}
