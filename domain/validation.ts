import { validationError } from './errors';
import type { JsonObject } from './json';

// Shared field rules of the deciders; the API's JSON Schemas check shapes, these check meaning.

export const requireText = (field: string, value: string, max = 256): string => {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw validationError(field, 'required', `${field} must not be empty.`);
  if (trimmed.length > max) throw validationError(field, 'max_length', `${field} must be at most ${max} characters.`);
  return trimmed;
};

export const EVENT_TYPE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,255}$/;

export const requireEventTypeName = (field: string, name: string): string => {
  if (!EVENT_TYPE_NAME.test(name)) {
    throw validationError(field, 'pattern', `${field} must be 1-256 characters of letters, digits, '.', '_' or '-', starting with a letter or digit.`);
  }
  return name;
};

export const UID = /^[a-zA-Z0-9_.\-:@]{1,256}$/;

export const requireUid = (field: string, uid: string): string => {
  if (!UID.test(uid)) {
    throw validationError(field, 'pattern', `${field} must be 1-256 characters of letters, digits or ._-:@`);
  }
  if (uid.startsWith('app_')) throw validationError(field, 'prefix', `${field} must not start with app_ (it would be mistaken for an id).`);
  return uid;
};

export const metadataOrEmpty = (metadata: JsonObject | null | undefined): JsonObject => metadata ?? {};
