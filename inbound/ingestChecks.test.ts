import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupKey, identifyEvent } from './eventIdentity';
import { ipAllowed } from './ipFilter';
import { requestOf } from './providers/testing';

const at = new Date('2026-01-01T00:00:00Z');

describe('event identity per provider', () => {
  it.each([
    ['stripe', {}, { id: 'evt_1', type: 'invoice.paid' }, { eventType: 'invoice.paid', eventId: 'evt_1' }],
    ['github', { 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': '72d3162e' }, { action: 'opened' }, { eventType: 'issues.opened', eventId: '72d3162e' }],
    ['github', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'd1' }, { ref: 'refs/heads/main' }, { eventType: 'push', eventId: 'd1' }],
    ['shopify', { 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': 'b54557e4' }, {}, { eventType: 'orders/create', eventId: 'b54557e4' }],
    ['slack', {}, { type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } }, { eventType: 'app_mention', eventId: 'Ev1' }],
    ['svix', { 'svix-id': 'msg_1' }, { type: 'user.created' }, { eventType: 'user.created', eventId: 'msg_1' }],
    ['paddle', {}, { event_id: 'evt_01', event_type: 'transaction.completed' }, { eventType: 'transaction.completed', eventId: 'evt_01' }],
    ['linear', { 'Linear-Delivery': 'ld1' }, { type: 'Issue', action: 'create' }, { eventType: 'Issue.create', eventId: 'ld1' }],
    ['sendgrid', {}, [{ event: 'delivered' }, { event: 'delivered' }], { eventType: 'delivered', eventId: null }],
    ['sendgrid', {}, [{ event: 'delivered' }, { event: 'open' }], { eventType: null, eventId: null }],
    ['mailgun', {}, { signature: { token: 'tok' }, 'event-data': { event: 'failed' } }, { eventType: 'failed', eventId: 'tok' }],
    ['twilio', { 'I-Twilio-Idempotency-Token': 'it1' }, undefined, { eventType: null, eventId: 'it1' }],
    ['generic', {}, { event_type: 'thing.happened', event_id: 7 }, { eventType: 'thing.happened', eventId: '7' }],
  ] as const)('%s %j %j', (provider, headers, payload, expected) => {
    expect(identifyEvent(provider, requestOf('', { ...headers }, at), payload)).toEqual(expected);
  });

  it('mailgun form posts: the token from the form', () => {
    const request = requestOf('timestamp=1&token=abc&signature=x', {}, at);
    expect(identifyEvent('mailgun', request, undefined)).toEqual({ eventType: null, eventId: 'abc' });
  });
});

describe('dedup keys', () => {
  const request = requestOf('{"id":"evt_1"}', { 'Idempotency-Key': 'k1' }, at);
  const identity = { eventType: null, eventId: 'evt_1' };
  it.each([
    ['none', null, null],
    ['header', 'idempotency-key', 'k1'],
    ['header', 'x-missing', null],
    ['payload_hash', null, createHash('sha256').update('{"id":"evt_1"}').digest('hex')],
    ['event_id', null, 'evt_1'],
  ] as const)('%s (%s) → %s', (strategy, headerName, expected) => {
    expect(dedupKey(strategy, headerName, request, identity)).toBe(expected);
  });
});

describe('IP allow and deny lists', () => {
  it.each([
    ['none', '198.51.100.7', true],
    ['allowlist', '10.1.2.3', true],
    ['allowlist', '::ffff:10.1.2.3', true], // IPv4 on a dual-stack socket
    ['allowlist', '192.0.2.1', false],
    ['allowlist', '2001:db8::5', true],
    ['allowlist', 'not an ip', false],
    ['allowlist', null, false],
    ['denylist', '203.0.113.9', false],
    ['denylist', '203.0.113.10', true],
    ['denylist', '::ffff:203.0.113.9', false],
    ['denylist', null, true],
  ] as const)('%s %s → %s', (mode, address, expected) => {
    expect(ipAllowed(mode, ['10.0.0.0/8', '2001:db8::/32'], ['203.0.113.9'], address)).toBe(expected);
  });
});
