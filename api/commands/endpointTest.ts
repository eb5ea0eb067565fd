import { createHmac } from 'node:crypto';
import { webhookBody } from '../../domain/message/message';
import { openSecret } from '../../domain/secretBox';
import { collections } from '../../projections/readModels';
import type { AttemptDoc, MessageDoc, OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { testEndpoint } from './endpointOps';
import { requireEndpoint } from './endpoints';
import { requireMessage } from './messages';

export type EndpointTestResult = Readonly<{
  message: MessageDoc;
  outbound: OutboundDoc;
  /** The first attempt, or null if none finished within the endpoint's timeout and a margin. */
  attempt: AttemptDoc | null;
  /** What the current secret signs for this message at the attempt's second, as a receiver computes it. */
  signature: Readonly<{ value: string; timestamp: number }>;
}>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The clients' "test endpoint": a real signed message to this endpoint only (as /v1's test), and then its first
 * attempt's outcome, waited for (the dispatcher may run in another process: the attempts read model says).
 */
export const testEndpointAndWait = async (deps: ApiDeps, applicationId: string, endpointId: string, eventType?: string): Promise<EndpointTestResult> => {
  const outbound = await testEndpoint(deps, applicationId, endpointId, eventType);
  const endpoint = await requireEndpoint(deps, applicationId, endpointId);
  const message = await requireMessage(deps, applicationId, outbound.messageId);
  const attempts = deps.reads.collection<AttemptDoc>(collections.attempts);
  const deadline = Date.now() + endpoint.timeoutSeconds * 1000 + 5_000;
  let attempt: AttemptDoc | null = null;
  for (let wait = 20; attempt === null && Date.now() < deadline; wait = Math.min(wait * 2, 250)) {
    const page = await attempts.find({ where: { outboundMessageId: outbound.id }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 1 });
    attempt = page.items[0] ?? null;
    if (attempt === null) await sleep(wait);
  }
  // The attempt is recorded when its answer came: its request was signed latencyMs earlier.
  const timestamp = Math.floor((Date.parse(attempt?.attemptedAt ?? deps.now().toISOString()) - (attempt?.latencyMs ?? 0)) / 1000);
  const secret = openSecret(deps.masterKey, endpoint.secret);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const value = `v1,${createHmac('sha256', key).update(`${message.id}.${timestamp}.${webhookBody(message)}`).digest('base64')}`;
  const current = await deps.reads.collection<OutboundDoc>(collections.outbound).get(outbound.id);
  return { message, outbound: current ?? outbound, attempt, signature: { value, timestamp } };
};
