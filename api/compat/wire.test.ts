import { describe, expect, it } from 'vitest';
import { cloudErrorBody } from '../errors';
import { containsFolded, decodeScanCursor, encodeScanCursor } from './wire';

describe('compat wire conventions', () => {
  it.each<[number, unknown]>([
    [422, { error: 'name is required.', message: 'name is required.', code: 'validation_failed', details: { fieldErrors: { name: ['name is required.'] } }, validationErrors: { name: ['name is required.'] }, requestId: 'req_1' }],
    [400, { error: 'name is required.', message: 'name is required.', code: 'validation_failed', details: { fieldErrors: { name: ['name is required.'] } }, validationErrors: { name: ['name is required.'] }, requestId: 'req_1' }],
  ])('error body of a %s: fieldErrors in details and validationErrors', (status, expected) => {
    expect(cloudErrorBody(status, 'validation_failed', 'name is required.', [{ field: 'name', rule: 'required', message: 'name is required.' }], 'req_1')).toEqual(expected);
  });

  it.each([401, 403, 404, 409, 429, 500])('error body of a %s: error is the message, details null, no validationErrors', (status) => {
    expect(cloudErrorBody(status, 'c', 'm', [], 'req_2')).toEqual({ error: 'm', message: 'm', code: 'c', details: null, requestId: 'req_2' });
  });

  it('fieldErrors group messages by field, in order; a 400 without a field has an empty map', () => {
    const details = [{ field: 'a', rule: 'r', message: '1' }, { field: 'b', rule: 'r', message: '2' }, { field: 'a', rule: 's', message: '3' }];
    expect(cloudErrorBody(422, 'v', 'm', details, 'r')).toMatchObject({ validationErrors: { a: ['1', '3'], b: ['2'] } });
    expect(cloudErrorBody(400, 'malformed_json', 'm', [], 'r')).toMatchObject({ details: { fieldErrors: {} }, validationErrors: {} });
  });

  it.each<[string | null, string, boolean]>([
    ['Order Created', 'order', true],
    ['Order Created', 'RDER cr', true],
    ['Order Created', 'shipped', false],
    [null, 'x', false],
  ])('containsFolded(%s, %s) = %s', (hay, needle, expected) => expect(containsFolded(hay, needle)).toBe(expected));

  it('scan cursors round-trip; garbage is a 422 naming cursor', () => {
    expect(decodeScanCursor(encodeScanCursor('app_01J'))).toBe('app_01J');
    expect(() => decodeScanCursor('nonsense')).toThrow(/cursor/);
  });
});
