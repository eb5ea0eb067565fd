import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortalApiError, PortalClient } from '../api/client';
import type { PortalEventType, PortalMessage, PortalSubscription } from '../api/types';
import { groupEventTypes, healthBuckets, subscribedEventTypeIds } from './selectors';
import { createPortalStore } from './store';
import type { PortalStore } from './store';

const et = (name: string, category: string | null): PortalEventType => ({ id: name, name, displayName: null, description: null, category });

describe('selectors', () => {
  it('groups event types by category, sorted, uncategorised last', () => {
    const groups = groupEventTypes([et('user.created', null), et('order.shipped', 'orders'), et('invoice.paid', 'billing'), et('order.created', 'orders')]);
    expect(groups.map((g) => [g.category, g.eventTypes.map((e) => e.name)])).toEqual([
      ['billing', ['invoice.paid']],
      ['orders', ['order.created', 'order.shipped']],
      ['Other', ['user.created']],
    ]);
  });

  it('bins messages and attempt latencies into time buckets', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const msg = (id: string, status: PortalMessage['status'], minutesAgo: number): PortalMessage => ({
      id, eventType: 'a', endpointId: 'e', endpointUrl: 'u', status, attempts: 1, lastAttemptAt: at(minutesAgo), nextAttemptAt: null, createdAt: at(minutesAgo),
    });
    const buckets = healthBuckets(
      [msg('1', 'success', 50), msg('2', 'exhausted', 50), msg('3', 'success', 5), msg('4', 'pending', 5)],
      [{ id: 'a1', attemptNumber: 1, responseStatus: 200, responseBody: null, error: null, latencyMs: 100, attemptedAt: at(5) },
       { id: 'a2', attemptNumber: 1, responseStatus: 200, responseBody: null, error: null, latencyMs: 300, attemptedAt: at(4) }],
      now, 60 * 60_000, 6,
    );
    expect(buckets.map((b) => [b.delivered, b.failed, b.rate, b.latencyMs])).toEqual([
      [0, 0, null, null], [1, 1, 0.5, null], [0, 0, null, null], [0, 0, null, null], [0, 0, null, null], [1, 0, 1, 200],
    ]);
  });

  it('counts only enabled subscriptions as subscribed', () => {
    const sub = (eventTypeId: string, isEnabled: boolean) => ({ id: eventTypeId, endpointId: 'e', eventTypeId, eventTypeName: eventTypeId, isEnabled, createdAt: '', updatedAt: '' });
    expect(subscribedEventTypeIds([sub('a', true), sub('b', false)])).toEqual(['a']);
  });
});

/** A portal API on 127.0.0.1 holding subscriptions in memory; records every call and how many were held after it. */
const startPortalApi = async (answer401?: { code: string }) => {
  const subs: PortalSubscription[] = [{ id: 'sub_a', endpointId: 'ep_1', eventTypeId: 'a', eventTypeName: 'a', isEnabled: true, createdAt: '', updatedAt: '' }];
  const calls: { call: string; held: number }[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, json: unknown) => {
        calls.push({ call: `${req.method} ${url.pathname}`, held: subs.length });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (answer401) return reply(401, { error: 'Portal token expired', message: 'Portal token expired', code: answer401.code });
      if (req.method === 'GET' && url.pathname === '/portal/subscriptions') return reply(200, { data: subs.filter((s) => s.endpointId === url.searchParams.get('endpointId')) });
      if (req.method === 'POST' && url.pathname === '/portal/subscriptions') {
        const { endpointId, eventTypeId } = JSON.parse(body) as { endpointId: string; eventTypeId: string };
        const sub = { id: `sub_${++next}`, endpointId, eventTypeId, eventTypeName: eventTypeId, isEnabled: true, createdAt: '', updatedAt: '' };
        subs.push(sub);
        return reply(201, { data: sub });
      }
      if (req.method === 'DELETE' && url.pathname.startsWith('/portal/subscriptions/')) {
        subs.splice(subs.findIndex((s) => s.id === url.pathname.split('/').pop()), 1);
        return reply(200, { success: true });
      }
      reply(404, { error: 'Not found', message: 'Not found', code: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, subs, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

describe('the portal store', () => {
  let api: Awaited<ReturnType<typeof startPortalApi>>;
  let store: PortalStore;
  let errors: Error[];

  // A fresh store per test (one per <HookbasePortal> in the app).
  beforeEach(() => {
    errors = [];
  });
  afterEach(async () => {
    await api.close();
  });

  it('changes subscriptions by adding before removing, so the endpoint never falls back to every event type', async () => {
    api = await startPortalApi();
    store = createPortalStore(new PortalClient('whpt_test', api.url), { onError: (e) => errors.push(e) });
    await store.getState().loadSubscriptions('ep_1');
    await store.getState().saveSubscriptions('ep_1', ['b', 'c']);
    const writes = api.calls.filter((c) => !c.call.startsWith('GET'));
    expect(writes.map((c) => c.call)).toEqual(['POST /portal/subscriptions', 'POST /portal/subscriptions', 'DELETE /portal/subscriptions/sub_a']);
    expect(Math.min(...writes.map((c) => c.held))).toBeGreaterThan(0);
    expect(subscribedEventTypeIds(store.getState().subscriptions.ep_1).sort()).toEqual(['b', 'c']);
    // Nothing selected: every subscription goes, and the endpoint receives every event type.
    await store.getState().saveSubscriptions('ep_1', []);
    expect(api.subs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('remembers a 401 as the auth error and tells onError', async () => {
    api = await startPortalApi({ code: 'token_expired' });
    store = createPortalStore(new PortalClient('whpt_old', api.url), { onError: (e) => errors.push(e) });
    await store.getState().loadEndpoints();
    const { authError, endpointsLoad } = store.getState();
    expect(authError).toBeInstanceOf(PortalApiError);
    expect(authError?.code).toBe('token_expired');
    expect(endpointsLoad).toEqual({ status: 'error', error: 'Portal token expired' });
    expect(errors.map((e) => e.message)).toEqual(['Portal token expired']);
  });
});
