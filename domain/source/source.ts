import type { Event } from '../decider';
import type { SealedSecret } from '../secretBox';
import type { SourceProvider, VerificationSettings } from './providers';

export type DedupStrategy = 'none' | 'header' | 'payload_hash' | 'event_id';
export type IpFilterMode = 'none' | 'allowlist' | 'denylist';

/** A source's settings, named as the official SDK's `Source` names them (src/types/index.ts). */
export type SourceSettings = {
  name: string;
  description: string | null;
  provider: SourceProvider;
  verifySignature: boolean;
  verification: VerificationSettings;
  dedupStrategy: DedupStrategy;
  /** Seconds a dedup key is remembered. */
  dedupWindow: number;
  /** Lower-case header holding the dedup key (strategy `header`). */
  dedupHeaderName: string | null;
  ipFilterMode: IpFilterMode;
  ipAllowlist: string[];
  ipDenylist: string[];
  /** Requests per `rateLimitWindow` seconds; null = no limit. */
  rateLimit: number | null;
  rateLimitWindow: number;
  /** Payloads never at rest: sealed in the log with a per-event key destroyed once every delivery ends. */
  transientMode: boolean;
};

/** `slug` is fixed at creation: it is the ingest URL's last segment. `signingSecret` is sealed (null: none yet). */
export type SourceCreated = Event<
  'SourceCreated',
  SourceSettings & { sourceId: string; slug: string; isActive: boolean; signingSecret: SealedSecret | null; createdAt: string }
>;
export type SourceUpdated = Event<'SourceUpdated', SourceSettings & { sourceId: string; updatedAt: string }>;
export type SourceActivated = Event<'SourceActivated', { sourceId: string; activatedAt: string }>;
export type SourceDeactivated = Event<'SourceDeactivated', { sourceId: string; deactivatedAt: string }>;
export type SourceSecretRotated = Event<'SourceSecretRotated', { sourceId: string; signingSecret: SealedSecret; rotatedAt: string }>;
export type SourceDeleted = Event<'SourceDeleted', { sourceId: string; slug: string; deletedAt: string }>;

export type SourceEvent = SourceCreated | SourceUpdated | SourceActivated | SourceDeactivated | SourceSecretRotated | SourceDeleted;

/** On its own stream `source_slug-{slug}`, appended with "no stream": it makes a slug unique (as `application_uid-`). */
export type SourceSlugClaimed = Event<'SourceSlugClaimed', { slug: string; sourceId: string; claimedAt: string }>;

export type Source = Readonly<
  SourceSettings & { id: string; slug: string; isActive: boolean; signingSecret: SealedSecret | null; createdAt: string; updatedAt: string }
>;

export type SourceState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'active'; source: Source }>
  | Readonly<{ status: 'deleted'; source: Source }>;

export const initialSourceState = (): SourceState => ({ status: 'empty' });

const change = (state: SourceState, patch: Partial<Source>): SourceState =>
  state.status === 'active' ? { status: 'active', source: { ...state.source, ...patch } } : state;

export const evolveSource = (state: SourceState, event: SourceEvent): SourceState => {
  switch (event.type) {
    case 'SourceCreated': {
      const { sourceId, createdAt, ...rest } = event.data;
      return { status: 'active', source: { ...rest, id: sourceId, createdAt, updatedAt: createdAt } };
    }
    case 'SourceUpdated': {
      const { sourceId: _id, updatedAt, ...settings } = event.data;
      return change(state, { ...settings, updatedAt });
    }
    case 'SourceActivated':
      return change(state, { isActive: true, updatedAt: event.data.activatedAt });
    case 'SourceDeactivated':
      return change(state, { isActive: false, updatedAt: event.data.deactivatedAt });
    case 'SourceSecretRotated':
      return change(state, { signingSecret: event.data.signingSecret, updatedAt: event.data.rotatedAt });
    case 'SourceDeleted':
      return state.status === 'active' ? { status: 'deleted', source: state.source } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
};
