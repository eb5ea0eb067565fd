import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { SealedSecret } from '../secretBox';
import { requireText } from '../validation';
import type { VerificationSettings } from './providers';
import {
  DEFAULT_DEDUP_WINDOW,
  DEFAULT_RATE_LIMIT_WINDOW,
  requireDedupStrategy,
  requireDedupWindow,
  requireHeaderName,
  requireIpFilterMode,
  requireIpList,
  requireProvider,
  requireRateLimitWindow,
  requireSlug,
  requireSourceRateLimit,
  requireVerification,
  slugFromName,
} from './rules';
import type { SourceEvent, SourceSettings, SourceState } from './source';
import { evolveSource, initialSourceState } from './source';

/** As the API hands it over: strings still to be checked, the secret already sealed. */
export type SourceInput = {
  name: string;
  description?: string | null;
  provider?: string;
  verifySignature?: boolean;
  verification?: VerificationSettings;
  dedupStrategy?: string;
  dedupWindow?: number;
  dedupHeaderName?: string | null;
  ipFilterMode?: string;
  ipAllowlist?: string[];
  ipDenylist?: string[];
  rateLimit?: number | null;
  rateLimitWindow?: number;
  transientMode?: boolean;
};

export type CreateSource = Command<
  'CreateSource',
  SourceInput & { sourceId: string; slug?: string; isActive?: boolean; signingSecret: SealedSecret | null }
>;
export type UpdateSource = Command<'UpdateSource', Partial<SourceInput> & { sourceId: string; isActive?: boolean }>;
export type RotateSourceSecret = Command<'RotateSourceSecret', { sourceId: string; signingSecret: SealedSecret }>;
export type DeleteSource = Command<'DeleteSource', { sourceId: string }>;

export type SourceCommand = CreateSource | UpdateSource | RotateSourceSecret | DeleteSource;

const DEFAULTS: SourceSettings = {
  name: '',
  description: null,
  provider: 'generic',
  verifySignature: false,
  verification: { toleranceSeconds: null, generic: null, publicKey: null },
  dedupStrategy: 'none',
  dedupWindow: DEFAULT_DEDUP_WINDOW,
  dedupHeaderName: null,
  ipFilterMode: 'none',
  ipAllowlist: [],
  ipDenylist: [],
  rateLimit: null,
  rateLimitWindow: DEFAULT_RATE_LIMIT_WINDOW,
  transientMode: false,
};

const settingsFrom = (input: Partial<SourceInput>, base: SourceSettings): SourceSettings => ({
  name: input.name === undefined ? base.name : requireText('name', input.name),
  description: input.description === undefined ? base.description : input.description === null ? null : requireText('description', input.description, 2048),
  provider: input.provider === undefined ? base.provider : requireProvider('provider', input.provider),
  verifySignature: input.verifySignature ?? base.verifySignature,
  verification: input.verification === undefined ? base.verification : requireVerification('verification', input.verification),
  dedupStrategy: input.dedupStrategy === undefined ? base.dedupStrategy : requireDedupStrategy('dedupStrategy', input.dedupStrategy),
  dedupWindow: input.dedupWindow === undefined ? base.dedupWindow : requireDedupWindow('dedupWindow', input.dedupWindow),
  dedupHeaderName:
    input.dedupHeaderName === undefined ? base.dedupHeaderName : input.dedupHeaderName === null ? null : requireHeaderName('dedupHeaderName', input.dedupHeaderName),
  ipFilterMode: input.ipFilterMode === undefined ? base.ipFilterMode : requireIpFilterMode('ipFilterMode', input.ipFilterMode),
  ipAllowlist: input.ipAllowlist === undefined ? base.ipAllowlist : requireIpList('ipAllowlist', input.ipAllowlist),
  ipDenylist: input.ipDenylist === undefined ? base.ipDenylist : requireIpList('ipDenylist', input.ipDenylist),
  rateLimit: input.rateLimit === undefined ? base.rateLimit : requireSourceRateLimit('rateLimit', input.rateLimit),
  rateLimitWindow: input.rateLimitWindow === undefined ? base.rateLimitWindow : requireRateLimitWindow('rateLimitWindow', input.rateLimitWindow),
  transientMode: input.transientMode ?? base.transientMode,
});

/** Rules across fields, checked on the settings as they would be after the command. */
const requireCoherent = (s: SourceSettings, hasSecret: boolean): SourceSettings => {
  if (s.verifySignature) {
    if (s.provider === 'sendgrid' && s.verification.publicKey === null) {
      throw validationError('verification.publicKey', 'required', 'A sendgrid source that verifies signatures needs verification.publicKey (its verification key).');
    }
    if ((s.provider === 'generic' || s.provider === 'custom') && s.verification.generic === null) {
      throw validationError('verification.generic', 'required', `A ${s.provider} source that verifies signatures needs verification.generic (algorithm, header, encoding).`);
    }
    if (s.provider !== 'sendgrid' && !hasSecret) {
      throw validationError('signingSecret', 'required', `A ${s.provider} source that verifies signatures needs its signingSecret.`);
    }
  }
  if (s.dedupStrategy === 'header' && s.dedupHeaderName === null) {
    throw validationError('dedupHeaderName', 'required', 'dedupHeaderName is required with dedupStrategy header.');
  }
  if (s.ipFilterMode === 'allowlist' && s.ipAllowlist.length === 0) throw validationError('ipAllowlist', 'required', 'ipAllowlist must name at least one address with ipFilterMode allowlist.');
  if (s.ipFilterMode === 'denylist' && s.ipDenylist.length === 0) throw validationError('ipDenylist', 'required', 'ipDenylist must name at least one address with ipFilterMode denylist.');
  return s;
};

export const decideSource = (command: SourceCommand, state: SourceState): SourceEvent[] => {
  const now = command.metadata.now;
  const id = command.data.sourceId;
  if (command.type === 'CreateSource') {
    if (state.status !== 'empty') throw conflict('source_exists', `Source ${id} already exists.`);
    const d = command.data;
    const settings = requireCoherent(settingsFrom(d, { ...DEFAULTS, name: d.name }), d.signingSecret !== null);
    const slug = d.slug === undefined ? slugFromName(settings.name) : requireSlug('slug', d.slug);
    return [{ type: 'SourceCreated', data: { ...settings, sourceId: id, slug, isActive: d.isActive ?? true, signingSecret: d.signingSecret, createdAt: now } }];
  }
  if (state.status !== 'active') throw notFound('source', id);
  const source = state.source;
  switch (command.type) {
    case 'UpdateSource': {
      const { sourceId: _id, isActive, ...input } = command.data;
      const events: SourceEvent[] = [];
      if (Object.keys(input).length > 0) {
        const settings = requireCoherent(settingsFrom(input, source), source.signingSecret !== null);
        events.push({ type: 'SourceUpdated', data: { ...settings, sourceId: id, updatedAt: now } });
      }
      if (isActive === true && !source.isActive) events.push({ type: 'SourceActivated', data: { sourceId: id, activatedAt: now } });
      if (isActive === false && source.isActive) events.push({ type: 'SourceDeactivated', data: { sourceId: id, deactivatedAt: now } });
      return events;
    }
    case 'RotateSourceSecret':
      return [{ type: 'SourceSecretRotated', data: { sourceId: id, signingSecret: command.data.signingSecret, rotatedAt: now } }];
    case 'DeleteSource':
      return [{ type: 'SourceDeleted', data: { sourceId: id, slug: source.slug, deletedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const sourceDecider: Decider<SourceState, SourceCommand, SourceEvent> = {
  decide: decideSource,
  evolve: evolveSource,
  initialState: initialSourceState,
};
