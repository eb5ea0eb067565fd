import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { ApplicationCreated, ApplicationDeleted } from './application';
import { applicationDecider } from './decide';

const NOW = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-02T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(applicationDecider);

const created: ApplicationCreated = {
  type: 'ApplicationCreated',
  data: { applicationId: 'app_1', name: 'Acme', uid: 'acme', metadata: { plan: 'pro' }, createdAt: '2025-12-31T00:00:00.000Z' },
};
const deleted: ApplicationDeleted = { type: 'ApplicationDeleted', data: { applicationId: 'app_1', deletedAt: NOW } };

describe('application decider', () => {
  describe('CreateApplication', () => {
    it('creates an application, trimming the name and defaulting metadata to {}', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: '  Acme  ', uid: null, metadata: null }, metadata: meta })
        .then([{ type: 'ApplicationCreated', data: { applicationId: 'app_1', name: 'Acme', uid: null, metadata: {}, createdAt: NOW } }]);
    });

    it('keeps a uid and metadata', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'Acme', uid: 'acme:eu@1', metadata: { a: 1 } }, metadata: meta })
        .then([{ type: 'ApplicationCreated', data: { applicationId: 'app_1', name: 'Acme', uid: 'acme:eu@1', metadata: { a: 1 }, createdAt: NOW } }]);
    });

    it('rejects an empty name', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: '   ', uid: null, metadata: null }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'name', rule: 'required' });
    });

    it('rejects a name longer than 256 characters', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'x'.repeat(257), uid: null, metadata: null }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'name', rule: 'max_length' });
    });

    it('rejects a uid with characters outside the pattern', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'Acme', uid: 'has space', metadata: null }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'uid', rule: 'pattern' });
    });

    it('rejects a uid that looks like an application id', () => {
      spec
        .given([])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'Acme', uid: 'app_123', metadata: null }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'uid', rule: 'prefix' });
    });

    it('refuses to create the same application twice', () => {
      spec
        .given([created])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'Acme', uid: null, metadata: null }, metadata: meta })
        .thenThrows({ kind: 'conflict', code: 'application_exists' });
    });

    it('refuses to reuse the id of a deleted application', () => {
      spec
        .given([created, deleted])
        .when({ type: 'CreateApplication', data: { applicationId: 'app_1', name: 'Acme', uid: null, metadata: null }, metadata: meta })
        .thenThrows({ kind: 'conflict', code: 'application_exists' });
    });
  });

  describe('UpdateApplication', () => {
    it('changes only the fields given', () => {
      spec
        .given([created])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', name: ' Acme Corp ' }, metadata: meta })
        .then([{ type: 'ApplicationUpdated', data: { applicationId: 'app_1', name: 'Acme Corp', metadata: { plan: 'pro' }, updatedAt: NOW } }]);
    });

    it('replaces the metadata and keeps the name', () => {
      spec
        .given([created])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', metadata: { plan: 'free' } }, metadata: { now: LATER } })
        .then([{ type: 'ApplicationUpdated', data: { applicationId: 'app_1', name: 'Acme', metadata: { plan: 'free' }, updatedAt: LATER } }]);
    });

    it('rejects an empty name', () => {
      spec
        .given([created])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', name: '' }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'name', rule: 'required' });
    });

    it('is not found on a missing application', () => {
      spec
        .given([])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', name: 'Acme' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'application_not_found' });
    });

    it('is not found on a deleted application', () => {
      spec
        .given([created, deleted])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', name: 'Acme' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'application_not_found' });
    });
  });

  describe('DeleteApplication', () => {
    it('deletes an active application', () => {
      spec
        .given([created])
        .when({ type: 'DeleteApplication', data: { applicationId: 'app_1' }, metadata: meta })
        .then([deleted]);
    });

    it('is not found on a missing application', () => {
      spec
        .given([])
        .when({ type: 'DeleteApplication', data: { applicationId: 'app_1' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'application_not_found' });
    });

    it('is not found the second time', () => {
      spec
        .given([created, deleted])
        .when({ type: 'DeleteApplication', data: { applicationId: 'app_1' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'application_not_found' });
    });
  });

  describe('evolve', () => {
    it('folds creation and update into the application', () => {
      const state = spec
        .given([created])
        .when({ type: 'UpdateApplication', data: { applicationId: 'app_1', name: 'Acme Corp' }, metadata: meta })
        .then([{ type: 'ApplicationUpdated', data: { applicationId: 'app_1', name: 'Acme Corp', metadata: { plan: 'pro' }, updatedAt: NOW } }]);
      expect(state).toEqual({
        status: 'active',
        application: {
          id: 'app_1', name: 'Acme Corp', uid: 'acme', metadata: { plan: 'pro' }, disabled: false, disabledReason: null, disabledAt: null,
          createdAt: '2025-12-31T00:00:00.000Z', updatedAt: NOW,
        },
      });
    });
  });

  describe('DisableApplication / EnableApplication', () => {
    const disabled = { type: 'ApplicationDisabled' as const, data: { applicationId: 'app_1', reason: 'unpaid', disabledAt: NOW } };

    it('disables with a reason, and the state says so', () => {
      const state = spec
        .given([created])
        .when({ type: 'DisableApplication', data: { applicationId: 'app_1', reason: ' unpaid ' }, metadata: meta })
        .then([disabled]);
      expect(state).toMatchObject({ status: 'active', application: { disabled: true, disabledReason: 'unpaid', disabledAt: NOW, updatedAt: NOW } });
    });

    it('appends nothing when already disabled for the same reason; a new reason is a new event', () => {
      spec.given([created, disabled]).when({ type: 'DisableApplication', data: { applicationId: 'app_1', reason: 'unpaid' }, metadata: meta }).then([]);
      spec
        .given([created, disabled])
        .when({ type: 'DisableApplication', data: { applicationId: 'app_1', reason: null }, metadata: { now: LATER } })
        .then([{ type: 'ApplicationDisabled', data: { applicationId: 'app_1', reason: null, disabledAt: LATER } }]);
    });

    it('enables a disabled application, clearing the reason; nothing when it is enabled', () => {
      const state = spec
        .given([created, disabled])
        .when({ type: 'EnableApplication', data: { applicationId: 'app_1' }, metadata: { now: LATER } })
        .then([{ type: 'ApplicationEnabled', data: { applicationId: 'app_1', enabledAt: LATER } }]);
      expect(state).toMatchObject({ application: { disabled: false, disabledReason: null, disabledAt: null, updatedAt: LATER } });
      spec.given([created]).when({ type: 'EnableApplication', data: { applicationId: 'app_1' }, metadata: meta }).then([]);
    });

    it('is not found on a deleted application', () => {
      spec
        .given([created, deleted])
        .when({ type: 'DisableApplication', data: { applicationId: 'app_1', reason: null }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'application_not_found' });
    });
  });
});
