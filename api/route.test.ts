import { describe, expect, it } from 'vitest';
import type { AnyRoute } from './route';
import { defineRoute } from './route';
import { routeMatcher } from './router';

const route = (method: AnyRoute['method'], path: string): AnyRoute =>
  defineRoute({ operationId: `${method} ${path}`, method, path, summary: '', auth: 'admin', response: { status: 200 }, handle: async () => ({ status: 200 }) });

const table = [
  route('GET', '/v1/applications/{appId}'),
  route('POST', '/v1/applications/{appId}/messages'),
  route('GET', '/v1/applications/{appId}/messages/{messageId}'),
];
const matchRoute = (_table: readonly AnyRoute[], method: string, path: string) => routeMatcher(_table).match(method, path);

describe('routeMatcher (@koa/router)', () => {
  it('takes the route whose method and segments fit, with its parameters decoded', () => {
    const match = matchRoute(table, 'GET', '/v1/applications/my%20app/messages/msg_1');
    expect(match).toMatchObject({ route: { path: '/v1/applications/{appId}/messages/{messageId}' }, params: { appId: 'my app', messageId: 'msg_1' } });
  });

  it('allows a trailing slash, not an empty parameter', () => {
    expect(matchRoute(table, 'POST', '/v1/applications/app_1/messages/')).toMatchObject({ params: { appId: 'app_1' } });
    expect(matchRoute(table, 'POST', '/v1/applications//messages')).toBeNull();
  });

  it('says 405 for a known path with another method, and nothing for an unknown path or a malformed escape', () => {
    expect(matchRoute(table, 'DELETE', '/v1/applications/app_1/messages')).toBe('method_not_allowed');
    expect(matchRoute(table, 'GET', '/v1/nothing')).toBeNull();
    expect(matchRoute(table, 'GET', '/v1/applications/%E0%A4%A')).toBeNull();
    // @koa/router would answer HEAD with the GET route; the API has no HEAD
    expect(matchRoute(table, 'HEAD', '/v1/applications/app_1')).toBe('method_not_allowed');
  });
});
