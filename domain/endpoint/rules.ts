import { validationError } from '../errors';
import { requireEventTypeName } from '../validation';

// Meaning checks on endpoint settings; shapes are checked by the API's JSON Schemas first.

export const DEFAULT_TIMEOUT_SECONDS = 15;
export const MAX_TIMEOUT_SECONDS = 60;

export const requireEndpointUrl = (field: string, raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError(field, 'url', `${field} must be an absolute URL such as https://example.com/webhooks.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationError(field, 'scheme', `${field} must use http or https, not ${url.protocol.replace(':', '')}.`);
  }
  if (url.username || url.password) throw validationError(field, 'credentials', `${field} must not contain credentials; use headers instead.`);
  if (raw.length > 2048) throw validationError(field, 'max_length', `${field} must be at most 2048 characters.`);
  return url.toString();
};

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_HEADERS = new Set([
  'content-type', 'content-length', 'user-agent', 'host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer',
]);

export const requireHeaders = (field: string, headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) throw validationError(`${field}.${name}`, 'header_name', `${field}: "${name}" is not a valid header name.`);
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-')) {
      throw validationError(`${field}.${name}`, 'reserved', `${field}: "${name}" is set by Hookbase and cannot be overridden.`);
    }
    if (/[\r\n\0]/.test(value)) throw validationError(`${field}.${name}`, 'header_value', `${field}: the value of "${name}" must not contain line breaks.`);
    out[name] = value;
  }
  return out;
};

export const requireEventTypeFilter = (field: string, eventTypes: readonly string[]): string[] => {
  eventTypes.forEach((name, i) => requireEventTypeName(`${field}[${i}]`, name));
  return [...new Set(eventTypes)];
};

export const requireTimeout = (field: string, seconds: number): number => {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw validationError(field, 'range', `${field} must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.`);
  }
  return seconds;
};

export const requireRateLimit = (field: string, perSecond: number | null): number | null => {
  if (perSecond === null) return null;
  if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > 100_000) {
    throw validationError(field, 'range', `${field} must be a whole number from 1 to 100000, or null for no limit.`);
  }
  return perSecond;
};

export const requireRetryDelays = (field: string, delays: readonly number[] | null): number[] | null => {
  if (delays === null) return null;
  if (delays.length > 20) throw validationError(field, 'max_items', `${field} may hold at most 20 delays.`);
  delays.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 7 * 86_400) {
      throw validationError(`${field}[${i}]`, 'range', `${field}[${i}] must be a whole number of seconds from 0 to 604800.`);
    }
  });
  return [...delays];
};
