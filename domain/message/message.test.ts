import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import { canonicalJson, messageDecider, samePayload } from './decide';
import type { MessageSent, OutboundRef } from './message';
import { webhookBody } from './message';

const NOW = '2026-01-01T00:00:00.000Z';
const SENT_AT = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(messageDecider);

const out1: OutboundRef = { outboundId: 'out_1', endpointId: 'ep_1', endpointUrl: 'https://a.example/hooks', maxAttempts: 8 };
const out2: OutboundRef = { outboundId: 'out_2', endpointId: 'ep_2', endpointUrl: 'https://b.example/hooks', maxAttempts: 3 };
const out3: OutboundRef = { outboundId: 'out_3', endpointId: 'ep_1', endpointUrl: 'https://a.example/hooks', maxAttempts: 8 };

const sent: MessageSent = {
  type: 'MessageSent',
  data: {
    messageId: 'msg_1',
    applicationId: 'app_1',
    eventType: 'order.paid',
    payload: { orderId: 42 },
    eventId: 'evt_1',
    timestamp: SENT_AT,
    outbound: [out1, out2],
  },
};

describe('message decider', () => {
  describe('SendMessage', () => {
    it('sends a message, stamped with the clock, to the outbound deliveries given', () => {
      spec
        .given([])
        .when({
          type: 'SendMessage',
          data: { messageId: 'msg_1', applicationId: 'app_1', eventType: 'order.paid', payload: { orderId: 42 }, eventId: 'evt_1', outbound: [out1, out2] },
          metadata: { now: SENT_AT },
        })
        .then([sent]);
    });

    it('sends a message without an eventId and without any endpoint', () => {
      const state = spec
        .given([])
        .when({
          type: 'SendMessage',
          data: { messageId: 'msg_2', applicationId: 'app_1', eventType: 'ping', payload: null, eventId: null, outbound: [] },
          metadata: meta,
        })
        .then([
          {
            type: 'MessageSent',
            data: { messageId: 'msg_2', applicationId: 'app_1', eventType: 'ping', payload: null, eventId: null, timestamp: NOW, outbound: [] },
          },
        ]);
      expect(state).toEqual({
        status: 'sent',
        message: { id: 'msg_2', applicationId: 'app_1', eventType: 'ping', payload: null, eventId: null, timestamp: NOW, outbound: [] },
      });
    });

    it('refuses to send the same message twice', () => {
      spec
        .given([sent])
        .when({
          type: 'SendMessage',
          data: { messageId: 'msg_1', applicationId: 'app_1', eventType: 'order.paid', payload: { orderId: 42 }, eventId: 'evt_1', outbound: [] },
          metadata: meta,
        })
        .thenThrows({ kind: 'conflict', code: 'message_exists' });
    });
  });

  describe('ResendMessage', () => {
    it('resends a message to new outbound deliveries, which add to the old ones', () => {
      const state = spec
        .given([sent])
        .when({ type: 'ResendMessage', data: { messageId: 'msg_1', outbound: [out3] }, metadata: meta })
        .then([{ type: 'MessageResent', data: { messageId: 'msg_1', applicationId: 'app_1', eventType: 'order.paid', outbound: [out3], resentAt: NOW } }]);
      expect(state).toMatchObject({ status: 'sent', message: { outbound: [out1, out2, out3], timestamp: SENT_AT, payload: { orderId: 42 } } });
    });

    it('is not found on a missing message', () => {
      spec
        .given([])
        .when({ type: 'ResendMessage', data: { messageId: 'msg_1', outbound: [out1] }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'message_not_found' });
    });
  });

  describe('payload helpers', () => {
    it('canonicalJson sorts keys at every depth', () => {
      expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    });

    it('samePayload ignores key order but not values or array order', () => {
      expect(samePayload({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
      expect(samePayload({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1] })).toBe(false);
      expect(samePayload({ a: 1 }, { a: '1' })).toBe(false);
      expect(samePayload({ a: 1 }, { a: 1, b: null })).toBe(false);
    });

    it('webhookBody is the Standard Webhooks body with the message id', () => {
      const body = webhookBody({ id: 'msg_1', eventType: 'order.paid', payload: { orderId: 42 }, timestamp: SENT_AT });
      expect(JSON.parse(body)).toEqual({ type: 'order.paid', data: { orderId: 42 }, timestamp: SENT_AT, webhookId: 'msg_1' });
      expect(webhookBody({ id: 'msg_1', eventType: 'order.paid', payload: { orderId: 42 }, timestamp: SENT_AT })).toBe(body);
    });
  });
});
