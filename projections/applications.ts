import { canonicalJson } from '../domain/message/decide';
import { collections } from './readModels';
import type { ApplicationDoc, EventTypeDoc } from './readModels';
import { projection } from './projection';

export const applicationsProjection = projection(
  'applications',
  [collections.applications],
  ['ApplicationCreated', 'ApplicationUpdated', 'ApplicationDeleted', 'ApplicationDisabled', 'ApplicationEnabled'],
  async (event, tx) => {
    const apps = tx.collection<ApplicationDoc>(collections.applications);
    switch (event.type) {
      case 'ApplicationCreated': {
        const d = event.data;
        await apps.put({
          id: d.applicationId, name: d.name, uid: d.uid, metadata: d.metadata, disabled: false, disabledReason: null, disabledAt: null,
          createdAt: d.createdAt, updatedAt: d.createdAt,
        });
        return;
      }
      case 'ApplicationUpdated': {
        const app = await apps.get(event.data.applicationId);
        if (app) await apps.put({ ...app, name: event.data.name, metadata: event.data.metadata, updatedAt: event.data.updatedAt });
        return;
      }
      case 'ApplicationDisabled': {
        const app = await apps.get(event.data.applicationId);
        const d = event.data;
        if (app) await apps.put({ ...app, disabled: true, disabledReason: d.reason, disabledAt: d.disabledAt, updatedAt: d.disabledAt });
        return;
      }
      case 'ApplicationEnabled': {
        const app = await apps.get(event.data.applicationId);
        if (app) await apps.put({ ...app, disabled: false, disabledReason: null, disabledAt: null, updatedAt: event.data.enabledAt });
        return;
      }
      case 'ApplicationDeleted':
        await apps.delete(event.data.applicationId);
        return;
      default:
        return;
    }
  },
);

export const eventTypesProjection = projection(
  'event_types',
  [collections.eventTypes],
  ['EventTypeCreated', 'EventTypeUpdated', 'EventTypeArchived', 'EventTypeUnarchived'],
  async (event, tx) => {
    const types = tx.collection<EventTypeDoc>(collections.eventTypes);
    switch (event.type) {
      case 'EventTypeCreated': {
        const { createdAt, ...rest } = event.data;
        await types.put({ id: rest.name, ...rest, schemaVersion: rest.schema === null ? null : 1, archived: false, createdAt, updatedAt: createdAt });
        return;
      }
      case 'EventTypeUpdated': {
        const current = await types.get(event.data.name);
        if (!current) return;
        const changed = event.data.schema !== null && (current.schema === null || canonicalJson(current.schema) !== canonicalJson(event.data.schema));
        const before = current.schemaVersion ?? (current.schema === null ? 0 : 1);
        await types.put({ ...current, ...event.data, schemaVersion: changed ? before + 1 : (current.schemaVersion ?? (current.schema === null ? null : 1)) });
        return;
      }
      case 'EventTypeArchived':
      case 'EventTypeUnarchived': {
        const current = await types.get(event.data.name);
        const at = event.type === 'EventTypeArchived' ? event.data.archivedAt : event.data.unarchivedAt;
        if (current) await types.put({ ...current, archived: event.type === 'EventTypeArchived', updatedAt: at });
        return;
      }
      default:
        return;
    }
  },
);
