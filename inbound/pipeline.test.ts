import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DomainError } from '../domain/errors';
import { inboundEventDecider } from '../domain/inbound/decide';
import type { InboundDeliveryEvent, InboundDeliveryState } from '../domain/inbound/delivery';
import type { InboundAttemptOutcome } from '../domain/inbound/deliveryDecide';
import { inboundDeliveryDecider } from '../domain/inbound/deliveryDecide';
import type { InboundEventEvent, InboundEventState } from '../domain/inbound/inboundEvent';
import type { RouteInput } from '../domain/route/decide';
import { routeDecider } from '../domain/route/decide';
import type { Route } from '../domain/route/route';
import type { VerificationSettings } from '../domain/source/providers';
import { dedupKey, identifyEvent, payloadHash } from './eventIdentity';
import { verifyInbound } from './providers/index';
import { requestOf } from './providers/testing';
import { compileSchema, decideRouting } from './router';
import { DEFAULT_TRANSFORM_LIMITS, compileTransform } from './transforms';

// The inbound core end to end without I/O: a Stripe-signed invoice.paid is verified, identified, received (and
// deduplicated), routed through a filter and a JSONata transform, and delivered with retries and the DLQ, every step
// decided by the deciders. The ingest route, the stores and the HTTP dispatcher are not wired yet (docs/inbound.md).

const NOW = new Date('2026-01-01T00:00:00.000Z');
const meta = { now: NOW.toISOString() };
const settings: VerificationSettings = { toleranceSeconds: null, generic: null, publicKey: null };
const SECRET = 'whsec_pipeline_secret';
const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1', amount_paid: 4200, currency: 'eur' } } });
const t = Math.floor(NOW.getTime() / 1000);
const stripeRequest = requestOf(
  body,
  { 'Content-Type': 'application/json', 'Stripe-Signature': `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}` },
  NOW,
);

const routeOf = (routeId: string, input: Partial<RouteInput> & { isActive?: boolean }): Route => {
  const data = { routeId, name: routeId, sourceId: 'src_1', destinationId: `dst_${routeId}`, ...input };
  const events = routeDecider.decide({ type: 'CreateRoute', data, metadata: meta }, routeDecider.initialState());
  const state = events.reduce(routeDecider.evolve, routeDecider.initialState());
  if (state.status !== 'active') throw new Error('route not created');
  return state.route;
};

const fold = <S, E>(evolve: (s: S, e: E) => S, initial: S, events: readonly E[]): S => events.reduce(evolve, initial);

describe('inbound pipeline (deciders and engines, no I/O)', () => {
  it('a Stripe invoice.paid goes through a filter and a JSONata transform; failing twice, it is delivered on the third attempt', async () => {
    // 1. Verify and identify.
    expect(verifyInbound('stripe', { secret: SECRET, settings }, stripeRequest)).toMatchObject({ ok: true });
    const payload: unknown = JSON.parse(body);
    const identity = identifyEvent('stripe', stripeRequest, payload);
    expect(identity).toEqual({ eventType: 'invoice.paid', eventId: 'evt_1' });

    // 2. Receive; the same event again is a duplicate.
    const receive = {
      type: 'ReceiveInboundEvent',
      data: {
        inboundEventId: 'ibe_1',
        sourceId: 'src_1',
        contentType: 'application/json',
        headers: { 'stripe-signature': 'redacted-in-test' },
        body: { kind: 'plain', encoding: 'utf8', data: body },
        payloadHash: payloadHash(stripeRequest.rawBody),
        ipAddress: '203.0.113.9',
        signatureValid: true,
        eventType: identity.eventType,
        dedupKey: dedupKey('event_id', null, stripeRequest, identity),
      },
      metadata: meta,
    } as const;
    let eventLog: InboundEventEvent[] = [...inboundEventDecider.decide(receive, inboundEventDecider.initialState())];
    const received = (): InboundEventState => fold(inboundEventDecider.evolve, inboundEventDecider.initialState(), eventLog);
    expect(() => inboundEventDecider.decide(receive, received())).toThrow(expect.objectContaining({ code: 'inbound_event_exists' }) as DomainError);

    // 3. Route through the routes of the source.
    const routes = [
      routeOf('paid', {
        priority: 10,
        filterConditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }, { field: 'data.object.amount_paid', operator: 'greater_than', value: '1000' }],
        transformId: 'trf_1',
      }),
      routeOf('failed', { filterConditions: { logic: 'OR', conditions: [{ field: 'type', operator: 'equals', value: 'charge.failed' }] } }),
      routeOf('paused', { isActive: false }),
      routeOf('typed', { schemaId: 'sch_1' }),
    ];
    const resources = {
      filters: new Map(),
      transforms: new Map([['trf_1', await compileTransform('jsonata', '{"invoice": data.object.id, "amount": data.object.amount_paid / 100, "currency": $uppercase(data.object.currency)}')]]),
      schemas: new Map([['sch_1', compileSchema({ type: 'object', required: ['data'], properties: { data: { type: 'object', required: ['customer'] } } })]]),
    };
    let n = 0;
    const decision = await decideRouting(routes, { payload, headers: stripeRequest.headers }, resources, () => `ibd_${++n}`, { now: NOW, limits: DEFAULT_TRANSFORM_LIMITS });
    expect(decision).toEqual({
      deliveries: [{ deliveryId: 'ibd_1', routeId: 'paid', destinationId: 'dst_paid', body: { kind: 'transformed', output: { invoice: 'in_1', amount: 42, currency: 'EUR' } } }],
      skipped: [
        { routeId: 'failed', reason: 'filter', detail: 'conditions[0] did not pass (or)' },
        { routeId: 'paused', reason: 'inactive', detail: null },
        { routeId: 'typed', reason: 'schema', detail: "/data must have required property 'customer'" },
      ],
    });
    const deliveries = decision.deliveries.map(({ deliveryId, routeId, destinationId }) => ({ deliveryId, routeId, destinationId }));
    eventLog = [...eventLog, ...inboundEventDecider.decide({ type: 'RouteInboundEvent', data: { inboundEventId: 'ibe_1', deliveries, skipped: decision.skipped }, metadata: meta }, received())];
    expect(received()).toMatchObject({ status: 'routed', event: { deliveries } });

    // 4. Deliver: fail, fail, succeed; each attempt an event.
    const first = decision.deliveries[0]!;
    const output = first.body.kind === 'transformed' ? first.body.output : null;
    let log: InboundDeliveryEvent[] = [
      ...inboundDeliveryDecider.decide(
        {
          type: 'CreateInboundDelivery',
          data: {
            deliveryId: first.deliveryId,
            inboundEventId: 'ibe_1',
            routeId: first.routeId,
            sourceId: 'src_1',
            destinationIds: [first.destinationId],
            failoverAfterAttempts: null,
            maxAttemptsPerDestination: 3,
            body: { kind: 'plain', encoding: 'utf8', data: JSON.stringify(output) },
            contentType: 'application/json',
          },
          metadata: meta,
        },
        inboundDeliveryDecider.initialState(),
      ),
    ];
    const state = (): InboundDeliveryState => fold(inboundDeliveryDecider.evolve, inboundDeliveryDecider.initialState(), log);
    const attempt = (k: number, outcome: InboundAttemptOutcome) => {
      log = [...log, ...inboundDeliveryDecider.decide({ type: 'RecordInboundAttempt', data: { deliveryId: first.deliveryId, attemptId: `att_${k}`, attemptNumber: k, outcome, retryDelayMs: 1000 }, metadata: meta }, state())];
    };
    const down: InboundAttemptOutcome = { kind: 'failed', responseStatus: 500, responseBody: 'boom', latencyMs: 3, error: 'HTTP 500', final: false };
    attempt(1, down);
    attempt(2, down);
    attempt(3, { kind: 'succeeded', responseStatus: 200, responseBody: 'ok', latencyMs: 2 });
    expect(log.map((e) => e.type)).toEqual([
      'InboundDeliveryCreated',
      'InboundAttemptFailed',
      'InboundRetryScheduled',
      'InboundAttemptFailed',
      'InboundRetryScheduled',
      'InboundAttemptSucceeded',
    ]);
    expect(state()).toMatchObject({ delivery: { status: 'success', attempts: 3 } });

    // 5. A destination that always fails lands in the DLQ; a retry after fixing it delivers.
    log = log.slice(0, 1);
    attempt(1, down);
    attempt(2, down);
    attempt(3, down);
    expect(state()).toMatchObject({ delivery: { status: 'exhausted' } });
    log = [...log, ...inboundDeliveryDecider.decide({ type: 'RequestInboundRetry', data: { deliveryId: first.deliveryId }, metadata: meta }, state())];
    attempt(4, { kind: 'succeeded', responseStatus: 200, responseBody: 'ok', latencyMs: 2 });
    expect(log.map((e) => e.type).slice(-3)).toEqual(['InboundDeliveryExhausted', 'InboundRetryRequested', 'InboundAttemptSucceeded']);
  });

  it('a request with one byte changed is refused before anything is decided', () => {
    const tampered = { ...stripeRequest, rawBody: Buffer.from(body.replace('4200', '4201')) };
    expect(verifyInbound('stripe', { secret: SECRET, settings }, tampered)).toEqual({ ok: false, code: 'no_matching_signature', message: 'No matching signature found' });
  });
});
