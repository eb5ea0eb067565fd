// Shared by the compat suites (test/compat*.test.ts): a real server with a whr_ key, receivers on 127.0.0.1, plain
// HTTP that records which /api routes were driven, and creators that check each answer's documented fields.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { compatRoutes } from '../api/compat';
import { routeMatcher } from '../api/router';
import { expectOne, FIELDS } from './compatShapes';
import { startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

const matcher = routeMatcher(compatRoutes);

export const uid = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
export const data = (res: { body: unknown }): Record<string, unknown> => (res.body as { data: Record<string, unknown> }).data;
export const sendEventUrl = { sendEventUrl: 'string' } as const;

/** Starts the server and two receivers (one answers 200, one 500) around the file's tests. */
export const useCompatServer = (env: Record<string, string> = {}) => {
  const ctx = { hb: undefined as unknown as TestHookbase, receiver: undefined as unknown as Receiver, failing: undefined as unknown as Receiver };
  /** Which /api routes the suite drove, with which answer statuses (by operation id). */
  const driven = new Map<string, Set<number>>();
  beforeAll(async () => {
    ctx.receiver = await startReceiver();
    ctx.failing = await startReceiver((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    ctx.hb = await startTestHookbase({ apiKey: `whr_${randomBytes(16).toString('hex')}`, env: { HOOKBASE_RETRY_SCHEDULE: '1h', ...env } });
  });
  afterAll(async () => {
    await ctx.hb?.stop();
    await ctx.receiver?.close();
    await ctx.failing?.close();
  });
  const api = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await ctx.hb.request(method, path, body, headers);
    const match = matcher.match(method, path.split('?')[0] ?? path);
    if (match !== null && match !== 'method_not_allowed') driven.set(match.route.operationId, (driven.get(match.route.operationId) ?? new Set()).add(res.status));
    return res;
  };
  const createApp = async (name = uid('App')): Promise<Record<string, unknown>> =>
    expectOne(await api('POST', '/api/webhook-applications', { name, externalId: uid('cust') }), 201, FIELDS.application, sendEventUrl);
  const createType = async (name = uid('order.created'), extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
    expectOne(await api('POST', '/api/event-types', { name, ...extra }), 201, FIELDS.eventType);
  const createEndpoint = async (applicationId: string, url = ctx.receiver.url, extra: Record<string, unknown> = {}) =>
    expectOne<{ id: string; secret: string; headers: unknown }>(await api('POST', '/api/webhook-endpoints', { applicationId, url, ...extra }), 201, FIELDS.endpoint, { secret: 'string' });
  /** Every route whose operation id passes `which` was driven to a 2xx answer. */
  const expectDriven = (which: (operationId: string) => boolean): void => {
    const wanted = compatRoutes.map((r) => r.operationId).filter(which);
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.filter((id) => ![...(driven.get(id) ?? [])].some((status) => status >= 200 && status < 300))).toEqual([]);
  };
  return { ctx, api, createApp, createType, createEndpoint, expectDriven };
};
