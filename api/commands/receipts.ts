// Signed delivery receipts and audit bundles (issue 18 items 3 and 4; docs/audit.md, "Receipts and bundles").
import { categories, streams } from '../../domain/streams';
import type { AuditBundle, BundleManifest } from '../../sdk/src/audit/bundle.js';
import { BUNDLE_FORMAT, manifestDigests, manifestSigningBytes } from '../../sdk/src/audit/bundle.js';
import type { Receipt } from '../../sdk/src/audit/receipt.js';
import { RECEIPT_FORMAT } from '../../sdk/src/audit/receipt.js';
import { foldDeliveryReport } from '../../sdk/src/audit/report.js';
import type { ChainedEvent } from '../../sdk/src/audit/streams.js';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { requireApplication } from './common';
import { requireOutbound } from './messages';
import { anchoringFor, chainedEvent, deploymentSigner, readChained } from './auditProofs';

const firstCommits = (events: readonly ChainedEvent[]): Map<string, bigint> => {
  const out = new Map<string, bigint>();
  for (const e of events) if (e.revision === '0' && e.position !== undefined) out.set(e.stream, BigInt(e.position));
  return out;
};

/**
 * The receipt of one attempt (`attempt` given) or of every attempt so far of a delivery: the attempts as the domain
 * folds them from the delivery's chained stream, both streams whole (the message's proves the body's hash), and the
 * latest signed anchors pinning them. An attempt recorded after the latest anchor is carried but not yet pinned.
 */
export const buildReceipt = async (deps: ApiDeps, appIdOrUid: string, outboundId: string, attempt: number | null): Promise<Receipt> => {
  const app = await requireApplication(deps, appIdOrUid);
  const outbound = await requireOutbound(deps, app.id, outboundId);
  const events = [...(await readChained(deps.events, streams.message(outbound.messageId))), ...(await readChained(deps.events, streams.outbound(outboundId)))];
  const delivery = foldDeliveryReport(events)
    .messages.flatMap((m) => m.deliveries)
    .find((d) => d.outboundId === outboundId);
  const attempts = (delivery?.attempts ?? []).filter((a) => attempt === null || a.attemptNumber === attempt);
  if (attempts.length === 0) {
    throw new HttpError(404, 'not_found', attempt === null ? `Delivery ${outboundId} has no attempt yet.` : `Delivery ${outboundId} has no attempt ${attempt}.`);
  }
  return {
    format: RECEIPT_FORMAT,
    issuedAt: new Date().toISOString(),
    applicationId: app.id,
    messageId: outbound.messageId,
    outboundId,
    endpointId: outbound.endpointId,
    attempts,
    events,
    anchoring: await anchoringFor(deps.events, firstCommits(events)),
  };
};

export type BundleRange = Readonly<{ from: string | null; to: string | null }>;

/**
 * An application's audit bundle: its own stream and its endpoints' streams, and every message sent in [from, to)
 * (by the commit time of its MessageSent) with its deliveries' streams, each stream whole from revision 0 up to the
 * export; the anchors pinning them with inclusion proofs; the manifest signed with the deployment's key.
 * Holds the application's events in memory while it selects them (one `$all` read filtered by stream category).
 */
export const buildBundle = async (deps: ApiDeps, appIdOrUid: string, range: BundleRange): Promise<AuditBundle> => {
  const app = await requireApplication(deps, appIdOrUid);
  const signer = await deploymentSigner(deps.events, deps.masterKey);
  const byStream = new Map<string, ChainedEvent[]>();
  const outboundOf = new Map<string, string[]>();
  const selected = new Set<string>([streams.application(app.id)]);
  const from = range.from === null ? null : Date.parse(range.from);
  const to = range.to === null ? null : Date.parse(range.to);
  const filter = { streamNamePrefixes: [categories.application, categories.endpoint, categories.message, categories.outbound] };
  for await (const e of deps.events.readAll({ filter })) {
    let list = byStream.get(e.streamId);
    if (!list) {
      const isApplication = e.streamId.startsWith(categories.application);
      const own = isApplication ? e.streamId === streams.application(app.id) : (e.data as { applicationId?: unknown } | null)?.applicationId === app.id;
      if (!own) continue;
      byStream.set(e.streamId, (list = []));
      if (e.streamId.startsWith(categories.endpoint)) selected.add(e.streamId);
      if (e.type === 'MessageSent') {
        const at = e.created.getTime();
        if ((from === null || at >= from) && (to === null || at < to)) selected.add(e.streamId);
      }
    }
    list.push(chainedEvent(e));
    if (e.type === 'MessageSent' || e.type === 'MessageResent') {
      const ids = (e.data as { outbound: { outboundId: string }[] }).outbound.map((o) => streams.outbound(o.outboundId));
      outboundOf.set(e.streamId, [...(outboundOf.get(e.streamId) ?? []), ...ids]);
    }
  }
  for (const [message, outbound] of outboundOf) if (selected.has(message)) for (const s of outbound) selected.add(s);
  // In `$all` order, as read.
  const events = [...byStream.entries()]
    .filter(([stream]) => selected.has(stream))
    .flatMap(([, list]) => list)
    .sort((a, b) => {
      const [pa, pb] = [BigInt(a.position ?? '0'), BigInt(b.position ?? '0')];
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });
  const anchoring = await anchoringFor(deps.events, firstCommits(events));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    applicationId: app.id,
    from: range.from,
    to: range.to,
    exportedAt: new Date().toISOString(),
    keyId: signer.keyId,
    ...manifestDigests(events, anchoring),
  };
  return { format: BUNDLE_FORMAT, manifest, signature: signer.sign(manifestSigningBytes(manifest)), events, anchoring };
};
