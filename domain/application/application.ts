import type { Event } from '../decider';
import type { JsonObject } from '../json';

export type ApplicationCreated = Event<
  'ApplicationCreated',
  { applicationId: string; name: string; uid: string | null; metadata: JsonObject; createdAt: string }
>;
export type ApplicationUpdated = Event<
  'ApplicationUpdated',
  { applicationId: string; name: string; metadata: JsonObject; updatedAt: string }
>;
export type ApplicationDeleted = Event<'ApplicationDeleted', { applicationId: string; deletedAt: string }>;
/** A disabled application's sends fan out to no endpoint until it is enabled again. */
export type ApplicationDisabled = Event<'ApplicationDisabled', { applicationId: string; reason: string | null; disabledAt: string }>;
export type ApplicationEnabled = Event<'ApplicationEnabled', { applicationId: string; enabledAt: string }>;

export type ApplicationEvent = ApplicationCreated | ApplicationUpdated | ApplicationDeleted | ApplicationDisabled | ApplicationEnabled;

/** Lives on its own stream `application_uid-{uid}`, appended with "no stream": it makes `uid` unique. */
export type ApplicationUidClaimed = Event<'ApplicationUidClaimed', { uid: string; applicationId: string; claimedAt: string }>;

export type Application = Readonly<{
  id: string;
  name: string;
  uid: string | null;
  metadata: JsonObject;
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}>;

export type ApplicationState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'active'; application: Application }>
  | Readonly<{ status: 'deleted'; application: Application }>;

export const initialApplicationState = (): ApplicationState => ({ status: 'empty' });

export const evolveApplication = (state: ApplicationState, event: ApplicationEvent): ApplicationState => {
  switch (event.type) {
    case 'ApplicationCreated': {
      const d = event.data;
      return {
        status: 'active',
        application: {
          id: d.applicationId, name: d.name, uid: d.uid, metadata: d.metadata, disabled: false, disabledReason: null, disabledAt: null,
          createdAt: d.createdAt, updatedAt: d.createdAt,
        },
      };
    }
    case 'ApplicationUpdated':
      if (state.status !== 'active') return state;
      return {
        status: 'active',
        application: { ...state.application, name: event.data.name, metadata: event.data.metadata, updatedAt: event.data.updatedAt },
      };
    case 'ApplicationDisabled':
      if (state.status !== 'active') return state;
      return {
        status: 'active',
        application: { ...state.application, disabled: true, disabledReason: event.data.reason, disabledAt: event.data.disabledAt, updatedAt: event.data.disabledAt },
      };
    case 'ApplicationEnabled':
      if (state.status !== 'active') return state;
      return {
        status: 'active',
        application: { ...state.application, disabled: false, disabledReason: null, disabledAt: null, updatedAt: event.data.enabledAt },
      };
    case 'ApplicationDeleted':
      if (state.status !== 'active') return state;
      return { status: 'deleted', application: state.application };
    default: {
      const never: never = event;
      return never;
    }
  }
};
