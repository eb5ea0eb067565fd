import { validationError } from '../errors';
import type { AuthType, HttpMethod } from './destination';

// Meaning checks on destination settings; shapes are checked by the API's JSON Schemas first.

export const DESTINATION_TYPES = ['http', 's3', 'r2', 'gcs', 'azure_blob'] as const;
export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const AUTH_TYPES: readonly AuthType[] = ['none', 'basic', 'bearer', 'api_key', 'custom_header'];
export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_RETRY_COUNT = 5;
export const DEFAULT_RETRY_INTERVAL = 60;

/** Object-store types are in the official clients' list but not delivered here: refused, naming what is. */
export const requireDestinationType = (field: string, type: string): 'http' => {
  if (type === 'http') return 'http';
  if ((DESTINATION_TYPES as readonly string[]).includes(type)) {
    throw validationError(field, 'unsupported', `${field} ${type} is not supported by a self-hosted Hookbase: only http destinations are delivered.`);
  }
  throw validationError(field, 'enum', `${field} must be http (got ${type}).`);
};

export const requireMethod = (field: string, method: string): HttpMethod => {
  const upper = method.toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(upper)) throw validationError(field, 'enum', `${field} must be one of ${HTTP_METHODS.join(', ')}.`);
  return upper as HttpMethod;
};

export const requireAuthType = (field: string, type: string): AuthType => {
  if (!(AUTH_TYPES as readonly string[]).includes(type)) throw validationError(field, 'enum', `${field} must be one of ${AUTH_TYPES.join(', ')}.`);
  return type as AuthType;
};

const wholeNumber = (field: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max) throw validationError(field, 'range', `${field} must be a whole number from ${min} to ${max}.`);
  return value;
};

export const requireTimeoutMs = (field: string, ms: number): number => wholeNumber(field, ms, 100, MAX_TIMEOUT_MS);
export const requireRetryCount = (field: string, count: number): number => wholeNumber(field, count, 0, 20);
export const requireRetryInterval = (field: string, seconds: number): number => wholeNumber(field, seconds, 1, 86_400);

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The credentials an auth type needs, as the clients send them (`authConfig`); what gets sealed into the event. */
export type AuthCredentials =
  | Readonly<{ type: 'basic'; username: string; password: string }>
  | Readonly<{ type: 'bearer'; token: string }>
  | Readonly<{ type: 'api_key'; headerName: string; key: string }>
  | Readonly<{ type: 'custom_header'; headerName: string; value: string }>;

/**
 * Checks `authConfig` for `authType` before the API seals it; names the missing key without echoing any value.
 * Spellings the clients use are accepted: `apiKey` or `key`; `headerName` or `header`; `headerValue` or `value`.
 */
export const requireAuthConfig = (field: string, type: AuthType, config: Readonly<Record<string, unknown>>): AuthCredentials | null => {
  const text = (keys: readonly string[], label: string): string => {
    for (const key of keys) {
      const value = config[key];
      if (typeof value === 'string' && value !== '') {
        if (/[\r\n\0]/.test(value)) throw validationError(`${field}.${label}`, 'header_value', `${field}.${label} must not contain line breaks.`);
        return value;
      }
    }
    throw validationError(`${field}.${label}`, 'required', `${field}.${label} is required with authType ${type}.`);
  };
  const headerName = (fallback: string | null): string => {
    const raw = typeof config.headerName === 'string' ? config.headerName : typeof config.header === 'string' ? config.header : fallback;
    if (raw === null) throw validationError(`${field}.headerName`, 'required', `${field}.headerName is required with authType ${type}.`);
    if (!HEADER_NAME.test(raw)) throw validationError(`${field}.headerName`, 'header_name', `${field}.headerName must be a valid header name.`);
    return raw;
  };
  switch (type) {
    case 'none':
      return null;
    case 'basic': {
      const username = text(['username'], 'username');
      if (username.includes(':')) throw validationError(`${field}.username`, 'pattern', `${field}.username must not contain ':' (Basic auth joins user and password with it).`);
      return { type, username, password: text(['password'], 'password') };
    }
    case 'bearer':
      return { type, token: text(['token'], 'token') };
    case 'api_key':
      return { type, headerName: headerName('X-API-Key'), key: text(['apiKey', 'key'], 'apiKey') };
    case 'custom_header':
      return { type, headerName: headerName(null), value: text(['headerValue', 'value'], 'headerValue') };
    default: {
      const never: never = type;
      return never;
    }
  }
};
