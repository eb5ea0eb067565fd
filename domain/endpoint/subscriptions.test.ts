import { describe, expect, it } from 'vitest';
import { eventMetadata, upcast } from '../events';
import { derivedSubscriptionId } from '../ids';
import type { SealedSecret } from '../secretBox';
import { deciderSpec } from '../testing/deciderSpec';
import { evolveSubscriptions as evolveSubscriptionsOf, sameFilter } from './subscriptions';
import type { EndpointCommand } from './decide';
import { endpointDecider } from './decide';
import type { EndpointCreated, EndpointEvent, EndpointState } from './endpoint';
import { evolveEndpoint, initialEndpointState, routingFilterOf } from './endpoint';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(endpointDecider);
const secret: SealedSecret = { alg: 'A256GCM', iv: 'aXYx', tag: 'dGFnMQ==', data: 'c2VjcmV0MQ==' };

const created: EndpointCreated = {
  type: 'EndpointCreated',
  data: {
    url: 'https://example.com/hooks', description: '', headers: {}, rateLimitPerSecond: null, timeoutSeconds: 15, retryDelays: null, metadata: {},
    endpointId: 'ep_1', applicationId: 'app_1', disabled: false, secret, createdAt: EARLIER, subscriptions: [],
  },
};
const added = (subscriptionId: string, eventType: string, addedAt = NOW) =>
  ({ type: 'EndpointSubscriptionAdded', data: { endpointId: 'ep_1', applicationId: 'app_1', subscriptionId, eventType, addedAt } }) as const;
const enabled = (subscriptionId: string, eventType: string) =>
  ({ type: 'EndpointSubscriptionEnabled', data: { endpointId: 'ep_1', subscriptionId, eventType, enabledAt: NOW } }) as const;
const disabled = (subscriptionId: string, eventType: string, disabledAt = NOW) =>
  ({ type: 'EndpointSubscriptionDisabled', data: { endpointId: 'ep_1', subscriptionId, eventType, disabledAt } }) as const;
const removed = (subscriptionId: string, eventType: string) =>
  ({ type: 'EndpointSubscriptionRemoved', data: { endpointId: 'ep_1', subscriptionId, eventType, removedAt: NOW } }) as const;

const command = <C extends EndpointCommand>(type: C['type'], data: C['data']): EndpointCommand => ({ type, data, metadata: meta }) as EndpointCommand;
const fold = (events: readonly EndpointEvent[]): EndpointState => events.reduce(evolveEndpoint, initialEndpointState());
const filterOf = (events: readonly EndpointEvent[]) => {
  const state = fold(events);
  if (state.status !== 'active') throw new Error('not active');
  return routingFilterOf(state.endpoint);
};

describe('subscriptions on the endpoint decider', () => {
  describe('Subscribe', () => {
    it('adds an enabled subscription with the id given', () => {
      const state = spec
        .given([created])
        .when(command('Subscribe', { endpointId: 'ep_1', subscriptionId: 'sub_1', eventType: 'order.paid' }))
        .then([added('sub_1', 'order.paid')]);
      expect(state).toMatchObject({ endpoint: { subscriptions: [{ id: 'sub_1', eventType: 'order.paid', enabled: true }], updatedAt: NOW } });
    });

    it('refuses a second subscription to the same event type, enabled or not', () => {
      spec
        .given([created, added('sub_1', 'order.paid')])
        .when(command('Subscribe', { endpointId: 'ep_1', subscriptionId: 'sub_2', eventType: 'order.paid' }))
        .thenThrows({ kind: 'conflict', code: 'subscription_exists' });
      spec
        .given([created, added('sub_1', 'order.paid'), disabled('sub_1', 'order.paid')])
        .when(command('Subscribe', { endpointId: 'ep_1', subscriptionId: 'sub_2', eventType: 'order.paid' }))
        .thenThrows({ kind: 'conflict', code: 'subscription_exists' });
    });

    it('rejects a bad event type name', () => {
      spec
        .given([created])
        .when(command('Subscribe', { endpointId: 'ep_1', subscriptionId: 'sub_1', eventType: 'bad name' }))
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'eventType', rule: 'pattern' });
    });
  });

  describe('SetSubscriptionEnabled', () => {
    it('disables and enables a subscription; the same state again changes nothing', () => {
      const given = [created, added('sub_1', 'order.paid')];
      spec.given(given).when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: false })).then([disabled('sub_1', 'order.paid')]);
      spec.given(given).when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: true })).then([]);
      const off = [...given, disabled('sub_1', 'order.paid')];
      spec.given(off).when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: true })).then([enabled('sub_1', 'order.paid')]);
      spec.given(off).when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: false })).then([]);
    });

    it('is not found for an unknown or removed subscription', () => {
      spec
        .given([created])
        .when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_9', enabled: false }))
        .thenThrows({ kind: 'not_found', code: 'subscription_not_found' });
      spec
        .given([created, added('sub_1', 'a.b'), removed('sub_1', 'a.b')])
        .when(command('SetSubscriptionEnabled', { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: true }))
        .thenThrows({ kind: 'not_found', code: 'subscription_not_found' });
    });
  });

  describe('Unsubscribe', () => {
    it('removes a subscription; the last one gone, the endpoint receives every type again', () => {
      const state = spec
        .given([created, added('sub_1', 'a.b')])
        .when(command('Unsubscribe', { endpointId: 'ep_1', subscriptionId: 'sub_1' }))
        .then([removed('sub_1', 'a.b')]);
      expect(state).toMatchObject({ endpoint: { subscriptions: [] } });
    });

    it('is not found for an unknown subscription', () => {
      spec.given([created]).when(command('Unsubscribe', { endpointId: 'ep_1', subscriptionId: 'sub_1' })).thenThrows({ kind: 'not_found', code: 'subscription_not_found' });
    });
  });

  describe("SetEndpointSubscriptions (API.md's PUT: the enabled set becomes exactly these)", () => {
    it('adds the new pairs with the ids given, enables disabled ones named, removes the others', () => {
      spec
        .given([created, added('sub_a', 'a'), added('sub_b', 'b'), disabled('sub_b', 'b'), added('sub_c', 'c')])
        .when(command('SetEndpointSubscriptions', { endpointId: 'ep_1', eventTypes: ['b', 'd', 'b'], subscriptionIds: ['sub_x', 'sub_d', 'sub_y'] }))
        .then([removed('sub_a', 'a'), enabled('sub_b', 'b'), removed('sub_c', 'c'), added('sub_d', 'd')]);
    });

    it('with an empty list removes every subscription: every event type again', () => {
      const state = spec
        .given([created, added('sub_a', 'a')])
        .when(command('SetEndpointSubscriptions', { endpointId: 'ep_1', eventTypes: [], subscriptionIds: [] }))
        .then([removed('sub_a', 'a')]);
      expect(state.status === 'active' && routingFilterOf(state.endpoint)).toEqual({ disabled: false, eventTypes: [], subscriptionCount: 0 });
    });

    it('the same set again changes nothing', () => {
      spec.given([created, added('sub_a', 'a')]).when(command('SetEndpointSubscriptions', { endpointId: 'ep_1', eventTypes: ['a'], subscriptionIds: ['sub_z'] })).then([]);
    });

    it('rejects a bad event type name by its position', () => {
      spec
        .given([created])
        .when(command('SetEndpointSubscriptions', { endpointId: 'ep_1', eventTypes: ['ok', '-bad'], subscriptionIds: ['sub_1', 'sub_2'] }))
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'eventTypes[1]', rule: 'pattern' });
    });

    it('UpdateEndpoint with eventTypes changes the subscriptions the same way, after the settings', () => {
      spec
        .given([created, added('sub_a', 'a')])
        .when(command('UpdateEndpoint', { endpointId: 'ep_1', description: 'x', eventTypes: ['b'], subscriptionIds: ['sub_b'] }))
        .then([
          {
            type: 'EndpointUpdated',
            data: {
              url: 'https://example.com/hooks', description: 'x', headers: {}, rateLimitPerSecond: null, timeoutSeconds: 15, retryDelays: null, metadata: {},
              endpointId: 'ep_1', updatedAt: NOW, legacyEventTypes: null,
            },
          },
          removed('sub_a', 'a'),
          added('sub_b', 'b'),
        ]);
    });
  });

  describe('routing filter (what the endpoints read model keeps)', () => {
    it('lists the enabled subscriptions and counts them all', () => {
      expect(filterOf([created])).toEqual({ disabled: false, eventTypes: [], subscriptionCount: 0 });
      expect(filterOf([created, added('s1', 'a'), added('s2', 'b'), disabled('s2', 'b')])).toEqual({ disabled: false, eventTypes: ['a'], subscriptionCount: 2 });
    });
  });

  describe('events written before subscriptions were events', () => {
    const v1Created = {
      url: 'https://example.com/hooks', description: '', eventTypes: ['a', 'b'], headers: {}, rateLimitPerSecond: null, timeoutSeconds: 15,
      retryDelays: null, metadata: {}, endpointId: 'ep_1', applicationId: 'app_1', disabled: false, secret, createdAt: EARLIER,
    };

    it('an EndpointCreated v1 with eventTypes means those subscriptions, with ids derived from (endpoint, event type)', () => {
      const event = upcast('EndpointCreated', v1Created, { schemaVersion: 1 });
      expect(event).toEqual({
        type: 'EndpointCreated',
        data: {
          ...created.data,
          subscriptions: [
            { subscriptionId: derivedSubscriptionId('ep_1', 'a'), eventType: 'a' },
            { subscriptionId: derivedSubscriptionId('ep_1', 'b'), eventType: 'b' },
          ],
        },
      });
      expect(derivedSubscriptionId('ep_1', 'a')).toMatch(/^sub_[0-9A-Z]{26}$/);
      expect(derivedSubscriptionId('ep_1', 'a')).not.toBe(derivedSubscriptionId('ep_2', 'a'));
      expect(filterOf([event as EndpointEvent])).toEqual({ disabled: false, eventTypes: ['a', 'b'], subscriptionCount: 2 });
    });

    it('an EndpointUpdated v1 (which carried the whole filter) and EndpointSubscriptionsChanged replace the set', () => {
      const base = upcast('EndpointCreated', v1Created, {}) as EndpointEvent;
      const { eventTypes: _t, applicationId: _a, disabled: _d, secret: _s, createdAt: _c, ...settings } = v1Created;
      const update = upcast('EndpointUpdated', { ...settings, eventTypes: ['b', 'c'], updatedAt: NOW }, { schemaVersion: 1 }) as EndpointEvent;
      expect(update.data).toMatchObject({ legacyEventTypes: ['b', 'c'] });
      expect(filterOf([base, update])).toEqual({ disabled: false, eventTypes: ['b', 'c'], subscriptionCount: 2 });
      const state = fold([base, update]);
      expect(state.status === 'active' && state.endpoint.subscriptions.map((s) => s.id)).toEqual([derivedSubscriptionId('ep_1', 'b'), derivedSubscriptionId('ep_1', 'c')]);

      const changed = upcast('EndpointSubscriptionsChanged', { endpointId: 'ep_1', eventTypes: [], changedAt: NOW }, {}) as EndpointEvent;
      expect(filterOf([base, update, changed])).toEqual({ disabled: false, eventTypes: [], subscriptionCount: 0 });
    });

    it('an EndpointUpdated v1 re-enables a pair disabled since (the v1 filter named only enabled types)', () => {
      const base = upcast('EndpointCreated', v1Created, {}) as EndpointEvent;
      const off = disabled(derivedSubscriptionId('ep_1', 'a'), 'a', EARLIER);
      const changed = upcast('EndpointSubscriptionsChanged', { endpointId: 'ep_1', eventTypes: ['a'], changedAt: NOW }, {}) as EndpointEvent;
      expect(filterOf([base, off])).toEqual({ disabled: false, eventTypes: ['b'], subscriptionCount: 2 });
      expect(filterOf([base, off, changed])).toEqual({ disabled: false, eventTypes: ['a'], subscriptionCount: 1 });
    });

    it('events written now carry their current version', () => {
      expect(eventMetadata('EndpointCreated')).toEqual({ schemaVersion: 2 });
      expect(eventMetadata('EndpointSubscriptionAdded')).toEqual({ schemaVersion: 1 });
    });
  });
});

describe('subscription filters (EndpointSubscriptionFilterSet)', () => {
  it('sets and clears the filter of the pair, compared as data', () => {
    const evolve = evolveSubscriptionsOf;
    const start = [{ id: 'sub_1', eventType: 'a.b', enabled: true, createdAt: 'T0', updatedAt: 'T0' }];
    const filter = { labels: { env: ['prod'] }, labelMode: 'all' as const, expression: 'x > 1' };
    const set = evolve(start, { type: 'EndpointSubscriptionFilterSet', data: { endpointId: 'ep_1', subscriptionId: 'sub_1', eventType: 'a.b', filter, setAt: 'T1' } });
    expect(set).toEqual([{ ...start[0], filter, updatedAt: 'T1' }]);
    const cleared = evolve(set, { type: 'EndpointSubscriptionFilterSet', data: { endpointId: 'ep_1', subscriptionId: 'sub_1', eventType: 'a.b', filter: null, setAt: 'T2' } });
    expect(cleared[0]?.filter).toBeNull();
    expect(sameFilter(filter, { expression: 'x > 1', labelMode: 'all', labels: { env: ['prod'] } })).toBe(true);
    expect(sameFilter(filter, null)).toBe(false);
    expect(sameFilter(undefined, null)).toBe(true);
  });
});
