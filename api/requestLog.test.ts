import { describe, expect, it } from 'vitest';
import { requestLogLevel, SLOW_REQUEST_MS } from './app';

// Issue 17: an ordinary request's line is at debug (below the default level); slow ones and 5xx stay visible.
describe('requestLogLevel', () => {
  it('debug for an ordinary answer, 4xx included; warn when slow; error for a 5xx', () => {
    expect(requestLogLevel(202, 3)).toBe('debug');
    expect(requestLogLevel(429, 1)).toBe('debug');
    expect(requestLogLevel(404, SLOW_REQUEST_MS - 0.1)).toBe('debug');
    expect(requestLogLevel(200, SLOW_REQUEST_MS)).toBe('warn');
    expect(requestLogLevel(422, 5_000)).toBe('warn');
    expect(requestLogLevel(500, 2)).toBe('error');
    expect(requestLogLevel(503, 5_000)).toBe('error');
  });
});
