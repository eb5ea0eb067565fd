import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound } from '../errors';
import type { JsonObject } from '../json';
import { metadataOrEmpty, requireText, requireUid } from '../validation';
import type { ApplicationEvent, ApplicationState } from './application';
import { evolveApplication, initialApplicationState } from './application';

export type CreateApplication = Command<
  'CreateApplication',
  { applicationId: string; name: string; uid: string | null; metadata: JsonObject | null }
>;
export type UpdateApplication = Command<'UpdateApplication', { applicationId: string; name?: string; metadata?: JsonObject }>;
export type DeleteApplication = Command<'DeleteApplication', { applicationId: string }>;
export type DisableApplication = Command<'DisableApplication', { applicationId: string; reason: string | null }>;
export type EnableApplication = Command<'EnableApplication', { applicationId: string }>;

export type ApplicationCommand = CreateApplication | UpdateApplication | DeleteApplication | DisableApplication | EnableApplication;

export const decideApplication = (command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] => {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateApplication': {
      if (state.status !== 'empty') throw conflict('application_exists', `Application ${command.data.applicationId} already exists.`);
      const d = command.data;
      return [
        {
          type: 'ApplicationCreated',
          data: {
            applicationId: d.applicationId,
            name: requireText('name', d.name),
            uid: d.uid === null ? null : requireUid('uid', d.uid),
            metadata: metadataOrEmpty(d.metadata),
            createdAt: now,
          },
        },
      ];
    }
    case 'UpdateApplication': {
      if (state.status !== 'active') throw notFound('application', command.data.applicationId);
      const current = state.application;
      return [
        {
          type: 'ApplicationUpdated',
          data: {
            applicationId: current.id,
            name: command.data.name === undefined ? current.name : requireText('name', command.data.name),
            metadata: command.data.metadata ?? current.metadata,
            updatedAt: now,
          },
        },
      ];
    }
    case 'DisableApplication': {
      if (state.status !== 'active') throw notFound('application', command.data.applicationId);
      const reason = command.data.reason === null ? null : requireText('disabledReason', command.data.reason, 1024);
      const app = state.application;
      if (app.disabled && app.disabledReason === reason) return [];
      return [{ type: 'ApplicationDisabled', data: { applicationId: app.id, reason, disabledAt: now } }];
    }
    case 'EnableApplication':
      if (state.status !== 'active') throw notFound('application', command.data.applicationId);
      return state.application.disabled ? [{ type: 'ApplicationEnabled', data: { applicationId: state.application.id, enabledAt: now } }] : [];
    case 'DeleteApplication':
      if (state.status !== 'active') throw notFound('application', command.data.applicationId);
      return [{ type: 'ApplicationDeleted', data: { applicationId: state.application.id, deletedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const applicationDecider: Decider<ApplicationState, ApplicationCommand, ApplicationEvent> = {
  decide: decideApplication,
  evolve: evolveApplication,
  initialState: initialApplicationState,
};
