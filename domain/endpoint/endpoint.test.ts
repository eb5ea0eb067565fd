import { describe, expect, it } from 'vitest';
import type { SealedSecret } from '../secretBox';
import { deciderSpec } from '../testing/deciderSpec';
import type { CreateEndpoint, EndpointCommand, EndpointInput } from './decide';
import { endpointDecider } from './decide';
import type { EndpointCreated, EndpointDeleted, EndpointDisabled, EndpointSettings } from './endpoint';
import { endpointWants } from './endpoint';

const NOW = '2026-01-01T00:00:00.000Z';
const CREATED_AT = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(endpointDecider);

const secret1: SealedSecret = { alg: 'A256GCM', iv: 'aXYx', tag: 'dGFnMQ==', data: 'c2VjcmV0MQ==' };
const secret2: SealedSecret = { alg: 'A256GCM', iv: 'aXYy', tag: 'dGFnMg==', data: 'c2VjcmV0Mg==' };
const secret3: SealedSecret = { alg: 'A256GCM', iv: 'aXYz', tag: 'dGFnMw==', data: 'c2VjcmV0Mw==' };

const settings: EndpointSettings = {
  url: 'https://example.com/hooks',
  description: '',
  headers: {},
  rateLimitPerSecond: null,
  timeoutSeconds: 15,
  retryDelays: null,
  metadata: {},
};

const created: EndpointCreated = {
  type: 'EndpointCreated',
  data: { ...settings, endpointId: 'ep_1', applicationId: 'app_1', disabled: false, secret: secret1, createdAt: CREATED_AT, subscriptions: [] },
};
const updated = (data: Partial<EndpointSettings> = {}) =>
  ({ type: 'EndpointUpdated', data: { ...settings, ...data, endpointId: 'ep_1', updatedAt: NOW, legacyEventTypes: null } }) as const;
const disabled: EndpointDisabled = { type: 'EndpointDisabled', data: { endpointId: 'ep_1', reason: 'Too many failures.', disabledAt: CREATED_AT } };
const deleted: EndpointDeleted = { type: 'EndpointDeleted', data: { endpointId: 'ep_1', deletedAt: CREATED_AT } };

const create = (input: Partial<EndpointInput> & { disabled?: boolean; subscriptionIds?: string[] } = {}): CreateEndpoint => ({
  type: 'CreateEndpoint',
  data: { url: 'https://example.com/hooks', endpointId: 'ep_1', applicationId: 'app_1', secret: secret1, ...input },
  metadata: meta,
});

const added = (subscriptionId: string, eventType: string, addedAt = NOW) =>
  ({ type: 'EndpointSubscriptionAdded', data: { endpointId: 'ep_1', applicationId: 'app_1', subscriptionId, eventType, addedAt } }) as const;

const invalid = (field: string, rule: string) => ({ kind: 'validation', code: 'validation_failed', field, rule }) as const;

describe('endpoint decider', () => {
  describe('CreateEndpoint', () => {
    it('creates an endpoint with the defaults', () => {
      spec
        .given([])
        .when(create())
        .then([{ ...created, data: { ...created.data, createdAt: NOW } }]);
    });

    it('keeps every setting given, normalizing the url; each event type named becomes a subscription, once', () => {
      const state = spec
        .given([])
        .when(
          create({
            url: 'HTTPS://Example.com:443/a?b=c',
            description: 'Orders',
            eventTypes: ['order.created', 'order.paid', 'order.created'],
            subscriptionIds: ['sub_1', 'sub_2', 'sub_3'],
            headers: { 'X-Api-Key': 'k' },
            rateLimitPerSecond: 10,
            timeoutSeconds: 60,
            retryDelays: [0, 60, 3600],
            metadata: { team: 'a' },
            disabled: true,
          }),
        )
        .then([
          {
            type: 'EndpointCreated',
            data: {
              url: 'https://example.com/a?b=c',
              description: 'Orders',
              headers: { 'X-Api-Key': 'k' },
              rateLimitPerSecond: 10,
              timeoutSeconds: 60,
              retryDelays: [0, 60, 3600],
              metadata: { team: 'a' },
              endpointId: 'ep_1',
              applicationId: 'app_1',
              disabled: true,
              secret: secret1,
              createdAt: NOW,
              subscriptions: [],
            },
          },
          added('sub_1', 'order.created'),
          added('sub_2', 'order.paid'),
        ]);
      expect(state).toMatchObject({ status: 'active', endpoint: { id: 'ep_1', disabled: true, previousSecrets: [], updatedAt: NOW } });
      expect(state.status === 'active' && state.endpoint.subscriptions).toEqual([
        { id: 'sub_1', eventType: 'order.created', enabled: true, createdAt: NOW, updatedAt: NOW },
        { id: 'sub_2', eventType: 'order.paid', enabled: true, createdAt: NOW, updatedAt: NOW },
      ]);
    });

    it('accepts plain http', () => {
      spec
        .given([])
        .when(create({ url: 'http://localhost:8080/hooks' }))
        .then([{ ...created, data: { ...created.data, url: 'http://localhost:8080/hooks', createdAt: NOW } }]);
    });

    it('refuses to create the same endpoint twice', () => {
      spec.given([created]).when(create()).thenThrows({ kind: 'conflict', code: 'endpoint_exists' });
    });

    it('refuses to reuse the id of a deleted endpoint', () => {
      spec.given([created, deleted]).when(create()).thenThrows({ kind: 'conflict', code: 'endpoint_exists' });
    });

    describe('validation', () => {
      it.each([
        ['not a url', 'url'],
        ['/relative/path', 'url'],
        ['ftp://example.com/hooks', 'scheme'],
        ['javascript:alert(1)', 'scheme'],
        ['file:///etc/passwd', 'scheme'],
        ['https://user:pass@example.com/hooks', 'credentials'],
        [`https://example.com/${'a'.repeat(2048)}`, 'max_length'],
      ])('rejects the url %j (rule %s)', (url, rule) => {
        spec.given([]).when(create({ url })).thenThrows(invalid('url', rule));
      });

      it.each(['webhook-id', 'Webhook-Signature', 'webhook-timestamp', 'Content-Type', 'host', 'User-Agent', 'Transfer-Encoding'])(
        'rejects the reserved header %s',
        (name) => {
          spec
            .given([])
            .when(create({ headers: { [name]: 'x' } }))
            .thenThrows(invalid(`headers.${name}`, 'reserved'));
        },
      );

      it('rejects an invalid header name', () => {
        spec
          .given([])
          .when(create({ headers: { 'X Bad': 'x' } }))
          .thenThrows(invalid('headers.X Bad', 'header_name'));
      });

      it('rejects a header value with a line break', () => {
        spec
          .given([])
          .when(create({ headers: { 'X-Injected': 'a\r\nX-Evil: 1' } }))
          .thenThrows(invalid('headers.X-Injected', 'header_value'));
      });

      it.each([0, 61, 1.5, -1])('rejects the timeout %s', (timeoutSeconds) => {
        spec.given([]).when(create({ timeoutSeconds })).thenThrows(invalid('timeoutSeconds', 'range'));
      });

      it.each([1, 60])('accepts the timeout %s', (timeoutSeconds) => {
        spec
          .given([])
          .when(create({ timeoutSeconds }))
          .then([{ ...created, data: { ...created.data, timeoutSeconds, createdAt: NOW } }]);
      });

      it('names the position of a bad event type name', () => {
        spec
          .given([])
          .when(create({ eventTypes: ['order.created', 'bad name'] }))
          .thenThrows(invalid('eventTypes[1]', 'pattern'));
      });

      it.each([0, 100_001, 2.5])('rejects the rate limit %s', (rateLimitPerSecond) => {
        spec.given([]).when(create({ rateLimitPerSecond })).thenThrows(invalid('rateLimitPerSecond', 'range'));
      });

      it('rejects a negative retry delay, naming its position', () => {
        spec
          .given([])
          .when(create({ retryDelays: [5, -1] }))
          .thenThrows(invalid('retryDelays[1]', 'range'));
      });

      it('rejects a retry delay over a week', () => {
        spec
          .given([])
          .when(create({ retryDelays: [7 * 86_400 + 1] }))
          .thenThrows(invalid('retryDelays[0]', 'range'));
      });

      it('rejects more than 20 retry delays', () => {
        spec
          .given([])
          .when(create({ retryDelays: Array.from({ length: 21 }, () => 1) }))
          .thenThrows(invalid('retryDelays', 'max_items'));
      });
    });
  });

  describe('commands on a missing or deleted endpoint', () => {
    const commands: EndpointCommand[] = [
      { type: 'UpdateEndpoint', data: { endpointId: 'ep_1', description: 'x' }, metadata: meta },
      { type: 'SetEndpointSubscriptions', data: { endpointId: 'ep_1', eventTypes: [] }, metadata: meta },
      { type: 'Subscribe', data: { endpointId: 'ep_1', subscriptionId: 'sub_1', eventType: 'a.b' }, metadata: meta },
      { type: 'SetSubscriptionEnabled', data: { endpointId: 'ep_1', subscriptionId: 'sub_1', enabled: false }, metadata: meta },
      { type: 'Unsubscribe', data: { endpointId: 'ep_1', subscriptionId: 'sub_1' }, metadata: meta },
      { type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret2, gracePeriodSeconds: 60 }, metadata: meta },
      { type: 'DisableEndpoint', data: { endpointId: 'ep_1', reason: 'x' }, metadata: meta },
      { type: 'EnableEndpoint', data: { endpointId: 'ep_1' }, metadata: meta },
      { type: 'DeleteEndpoint', data: { endpointId: 'ep_1' }, metadata: meta },
    ];

    it.each(commands)('$type is not found on a missing endpoint', (command) => {
      spec.given([]).when(command).thenThrows({ kind: 'not_found', code: 'endpoint_not_found' });
    });

    it.each(commands)('$type is not found on a deleted endpoint', (command) => {
      spec.given([created, deleted]).when(command).thenThrows({ kind: 'not_found', code: 'endpoint_not_found' });
    });
  });

  describe('UpdateEndpoint', () => {
    it('changes only the settings given', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', description: 'New', timeoutSeconds: 30 }, metadata: meta })
        .then([updated({ description: 'New', timeoutSeconds: 30 })]);
    });

    it('can clear the rate limit and the retry schedule with null', () => {
      const given: EndpointCreated = { ...created, data: { ...created.data, rateLimitPerSecond: 5, retryDelays: [1, 2] } };
      spec
        .given([given])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', rateLimitPerSecond: null, retryDelays: null }, metadata: meta })
        .then([updated()]);
    });

    it('validates the url', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', url: 'gopher://example.com' }, metadata: meta })
        .thenThrows(invalid('url', 'scheme'));
    });

    it('validates the headers', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', headers: { 'webhook-id': 'mine' } }, metadata: meta })
        .thenThrows(invalid('headers.webhook-id', 'reserved'));
    });

    it('with disabled: true also disables an enabled endpoint', () => {
      const state = spec
        .given([created])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', disabled: true }, metadata: meta })
        .then([
          updated(),
          { type: 'EndpointDisabled', data: { endpointId: 'ep_1', reason: 'Disabled by a user.', disabledAt: NOW } },
        ]);
      expect(state).toMatchObject({ status: 'active', endpoint: { disabled: true, disabledReason: 'Disabled by a user.' } });
    });

    it('with disabled: true on a disabled endpoint only updates', () => {
      spec
        .given([created, disabled])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', disabled: true }, metadata: meta })
        .then([updated()]);
    });

    it('with disabled: false also enables a disabled endpoint', () => {
      const state = spec
        .given([created, disabled])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', disabled: false }, metadata: meta })
        .then([
          updated(),
          { type: 'EndpointEnabled', data: { endpointId: 'ep_1', enabledAt: NOW } },
        ]);
      expect(state).toMatchObject({ status: 'active', endpoint: { disabled: false, disabledReason: null } });
    });

    it('with disabled: false on an enabled endpoint only updates', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEndpoint', data: { endpointId: 'ep_1', disabled: false }, metadata: meta })
        .then([updated()]);
    });
  });

  describe('RotateEndpointSecret', () => {
    it('keeps the previous secret until the grace period ends', () => {
      const state = spec
        .given([created])
        .when({ type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret2, gracePeriodSeconds: 86_400 }, metadata: meta })
        .then([
          {
            type: 'EndpointSecretRotated',
            data: { endpointId: 'ep_1', secret: secret2, previousSecret: secret1, previousSecretExpiresAt: '2026-01-02T00:00:00.000Z', rotatedAt: NOW },
          },
        ]);
      expect(state).toMatchObject({
        status: 'active',
        endpoint: { secret: secret2, previousSecrets: [{ secret: secret1, expiresAt: '2026-01-02T00:00:00.000Z' }], updatedAt: NOW },
      });
    });

    it('with no grace period the previous secret expires now', () => {
      spec
        .given([created])
        .when({ type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret2, gracePeriodSeconds: 0 }, metadata: meta })
        .then([
          { type: 'EndpointSecretRotated', data: { endpointId: 'ep_1', secret: secret2, previousSecret: secret1, previousSecretExpiresAt: NOW, rotatedAt: NOW } },
        ]);
    });

    it('drops previous secrets that expired before a new rotation, keeps those still valid', () => {
      const rotatedEarlier = {
        type: 'EndpointSecretRotated',
        data: { endpointId: 'ep_1', secret: secret2, previousSecret: secret1, previousSecretExpiresAt: '2025-12-31T01:00:00.000Z', rotatedAt: CREATED_AT },
      } as const;
      const state = spec
        .given([created, rotatedEarlier])
        .when({ type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret3, gracePeriodSeconds: 60 }, metadata: meta })
        .then([
          {
            type: 'EndpointSecretRotated',
            data: { endpointId: 'ep_1', secret: secret3, previousSecret: secret2, previousSecretExpiresAt: '2026-01-01T00:01:00.000Z', rotatedAt: NOW },
          },
        ]);
      expect(state).toMatchObject({ endpoint: { secret: secret3, previousSecrets: [{ secret: secret2, expiresAt: '2026-01-01T00:01:00.000Z' }] } });

      const stillValid = { ...rotatedEarlier, data: { ...rotatedEarlier.data, previousSecretExpiresAt: '2026-01-01T12:00:00.000Z' } };
      const state2 = spec
        .given([created, stillValid])
        .when({ type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret3, gracePeriodSeconds: 60 }, metadata: meta })
        .then([
          {
            type: 'EndpointSecretRotated',
            data: { endpointId: 'ep_1', secret: secret3, previousSecret: secret2, previousSecretExpiresAt: '2026-01-01T00:01:00.000Z', rotatedAt: NOW },
          },
        ]);
      expect(state2).toMatchObject({
        endpoint: {
          previousSecrets: [
            { secret: secret1, expiresAt: '2026-01-01T12:00:00.000Z' },
            { secret: secret2, expiresAt: '2026-01-01T00:01:00.000Z' },
          ],
        },
      });
    });

    it.each([-1, 1.5, 7 * 86_400 + 1])('rejects the grace period %s', (gracePeriodSeconds) => {
      spec
        .given([created])
        .when({ type: 'RotateEndpointSecret', data: { endpointId: 'ep_1', secret: secret2, gracePeriodSeconds }, metadata: meta })
        .thenThrows(invalid('gracePeriodSeconds', 'range'));
    });
  });

  describe('DisableEndpoint / EnableEndpoint', () => {
    it('disables an enabled endpoint with the reason', () => {
      const state = spec
        .given([created])
        .when({ type: 'DisableEndpoint', data: { endpointId: 'ep_1', reason: 'Gone (410).' }, metadata: meta })
        .then([{ type: 'EndpointDisabled', data: { endpointId: 'ep_1', reason: 'Gone (410).', disabledAt: NOW } }]);
      expect(state).toMatchObject({ endpoint: { disabled: true, disabledReason: 'Gone (410).', updatedAt: NOW } });
    });

    it('disabling a disabled endpoint changes nothing', () => {
      spec.given([created, disabled]).when({ type: 'DisableEndpoint', data: { endpointId: 'ep_1', reason: 'again' }, metadata: meta }).then([]);
    });

    it('enables a disabled endpoint', () => {
      const state = spec
        .given([created, disabled])
        .when({ type: 'EnableEndpoint', data: { endpointId: 'ep_1' }, metadata: meta })
        .then([{ type: 'EndpointEnabled', data: { endpointId: 'ep_1', enabledAt: NOW } }]);
      expect(state).toMatchObject({ endpoint: { disabled: false, disabledReason: null, updatedAt: NOW } });
    });

    it('enabling an enabled endpoint changes nothing', () => {
      spec.given([created]).when({ type: 'EnableEndpoint', data: { endpointId: 'ep_1' }, metadata: meta }).then([]);
    });

    it('an endpoint created disabled can be enabled', () => {
      spec
        .given([{ ...created, data: { ...created.data, disabled: true } }])
        .when({ type: 'EnableEndpoint', data: { endpointId: 'ep_1' }, metadata: meta })
        .then([{ type: 'EndpointEnabled', data: { endpointId: 'ep_1', enabledAt: NOW } }]);
    });
  });

  describe('DeleteEndpoint', () => {
    it('deletes an endpoint, even a disabled one', () => {
      const state = spec
        .given([created, disabled])
        .when({ type: 'DeleteEndpoint', data: { endpointId: 'ep_1' }, metadata: meta })
        .then([{ type: 'EndpointDeleted', data: { endpointId: 'ep_1', deletedAt: NOW } }]);
      expect(state.status).toBe('deleted');
    });
  });

  describe('endpointWants', () => {
    it('an endpoint without any subscription receives every event type', () => {
      expect(endpointWants({ eventTypes: [], subscriptionCount: 0, disabled: false }, 'anything.at.all')).toBe(true);
      // A document written before subscriptions had flags: an empty filter, no count.
      expect(endpointWants({ eventTypes: [], disabled: false }, 'anything.at.all')).toBe(true);
    });

    it('otherwise only the types of its enabled subscriptions, matched exactly', () => {
      const endpoint = { eventTypes: ['order.created', 'order.paid'], subscriptionCount: 3, disabled: false };
      expect(endpointWants(endpoint, 'order.paid')).toBe(true);
      expect(endpointWants(endpoint, 'order.refunded')).toBe(false);
      expect(endpointWants(endpoint, 'order')).toBe(false);
      expect(endpointWants(endpoint, 'Order.paid')).toBe(false);
      expect(endpointWants({ eventTypes: ['order.paid'], disabled: false }, 'order.created')).toBe(false);
    });

    it('an endpoint whose subscriptions are all disabled receives nothing', () => {
      expect(endpointWants({ eventTypes: [], subscriptionCount: 2, disabled: false }, 'order.paid')).toBe(false);
    });

    it('a disabled endpoint wants nothing', () => {
      expect(endpointWants({ eventTypes: [], subscriptionCount: 0, disabled: true }, 'order.paid')).toBe(false);
      expect(endpointWants({ eventTypes: ['order.paid'], subscriptionCount: 1, disabled: true }, 'order.paid')).toBe(false);
    });
  });
});
