import type { SourceProvider, VerificationSettings } from '../../domain/source/providers';
import { verifyGeneric } from './generic';
import { github } from './github';
import { linear } from './linear';
import { mailgun } from './mailgun';
import { paddle } from './paddle';
import type { Scheme } from './scheme';
import { sendgrid } from './sendgrid';
import { shopify } from './shopify';
import { slack } from './slack';
import { standardWebhooks } from './standardWebhooks';
import { stripe } from './stripe';
import { twilio } from './twilio';
import type { InboundRequest, Verification } from './verification';
import { refuse } from './verification';

export type { InboundRequest, Refused, RefusalCode, Verification, Verified } from './verification';

/** The fixed schemes by provider; `generic` and `custom` are configured by the source (generic HMAC). */
export const SCHEMES: Readonly<Record<Exclude<SourceProvider, 'generic' | 'custom'>, Scheme>> = {
  stripe,
  github,
  shopify,
  slack,
  twilio,
  svix: standardWebhooks,
  paddle,
  linear,
  sendgrid,
  mailgun,
};

export type ProviderConfig = Readonly<{
  /** The signing secret in clear, opened from its sealed form for this call only; never logged, never in a message. */
  secret: string | null;
  settings: VerificationSettings;
}>;

/**
 * Verifies one inbound request as its provider signs it. Pure (the clock is the request's `receivedAt`); a refusal
 * carries a stable code and a message that names headers and rules, never a secret or a computed signature.
 */
export const verifyInbound = (provider: SourceProvider, config: ProviderConfig, request: InboundRequest): Verification => {
  if (provider === 'generic' || provider === 'custom') {
    const generic = config.settings.generic;
    if (generic === null) return refuse('not_configured', `The ${provider} source has no HMAC settings`);
    if (config.secret === null || config.secret === '') return refuse('not_configured', `The ${provider} source has no signing secret`);
    return verifyGeneric({ key: config.secret, toleranceSeconds: generic.toleranceSeconds }, generic, request);
  }
  const scheme = SCHEMES[provider];
  const key = provider === 'sendgrid' ? config.settings.publicKey : config.secret;
  if (key === null || key === '') {
    return refuse('not_configured', provider === 'sendgrid' ? 'The sendgrid source has no verification key' : `The ${provider} source has no signing secret`);
  }
  const toleranceSeconds = config.settings.toleranceSeconds ?? scheme.defaultToleranceSeconds;
  return scheme.verify({ key, toleranceSeconds }, request);
};
