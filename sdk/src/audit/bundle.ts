// An audit bundle (issue 18 item 4; docs/audit.md, "Bundles"): an application's events for a time range, whole
// streams from revision 0, with the signed anchors that pin them, the inclusion proofs, and a manifest signed with the
// deployment's Ed25519 key. `verifyAuditBundle` checks all of it offline (in a browser too) and folds the events into
// the delivery report with the domain's own evolve functions. Pure: no `node:` import.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { categories, streams } from '../../../domain/streams.js';
import { canonicalJson } from './chain.js';
import type { Anchoring } from './anchoring.js';
import { checkAnchoring } from './anchoring.js';
import type { DeliveryReport } from './report.js';
import { foldDeliveryReport } from './report.js';
import type { ChainedEvent, Problem } from './streams.js';
import { isChainedEvent, verifyStreams } from './streams.js';

export const BUNDLE_FORMAT = 'hookbase-audit-bundle/1';
/** The first line of the bytes the manifest's signature covers (their version). */
export const MANIFEST_TAG = 'hookbase-bundle-manifest/1';

/** A stream's head as the exporter saw it: its last revision carried and that event's chain hash. */
export type ManifestHead = Readonly<{ stream: string; revision: string; hash: string | null }>;

export type BundleManifest = Readonly<{
  format: typeof BUNDLE_FORMAT;
  applicationId: string;
  /** The range of send times selected (ISO 8601, from inclusive, to exclusive); null: unbounded. */
  from: string | null;
  to: string | null;
  exportedAt: string;
  /** The signing key's id (`keyIdOf` the public key). */
  keyId: string;
  /** SHA-256 (hex) of the canonical JSON of `events`, and of `anchoring`. */
  eventsSha256: string;
  anchoringSha256: string;
  /** Every stream carried, in stream order, with its head. */
  heads: readonly ManifestHead[];
  events: number;
}>;

export type AuditBundle = Readonly<{
  format: typeof BUNDLE_FORMAT;
  manifest: BundleManifest;
  /** Ed25519 signature (128 hex digits) over `manifestSigningBytes(manifest)`. */
  signature: string;
  /** In `$all` order. */
  events: readonly ChainedEvent[];
  anchoring: Anchoring;
}>;

export type BundleVerification = Readonly<{
  /** Nothing is wrong: the file, manifest, signatures, digests, chains and proofs all check out. */
  valid: boolean;
  /** Valid, and every event carried is pinned by a signed anchor. */
  proven: boolean;
  problems: readonly Problem[];
  applicationId: string | null;
  streams: number;
  events: number;
  /** Events pinned by a verified anchor; the rest are vouched for by their chain only. */
  anchoredEvents: number;
  unanchoredEvents: number;
  /** Events written before chaining existed: carried, not proven. */
  unchainedEvents: number;
  report: DeliveryReport;
}>;

/** The bytes the manifest's signature covers: the tag line, a line feed, the manifest's canonical JSON (UTF-8). */
export const manifestSigningBytes = (manifest: BundleManifest): Uint8Array => utf8ToBytes(`${MANIFEST_TAG}\n${canonicalJson(manifest)}`);

const digest = (value: unknown): string => bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));

/** What an exporter fills in the manifest from the events and anchoring it carries. */
export const manifestDigests = (events: readonly ChainedEvent[], anchoring: Anchoring): Pick<BundleManifest, 'eventsSha256' | 'anchoringSha256' | 'heads' | 'events'> => {
  const { heads } = verifyStreams(events, (i) => `events[${i}]`);
  const last = new Map<string, ChainedEvent>();
  for (const e of events.filter(isChainedEvent)) if (!last.has(e.stream) || BigInt(e.revision) > BigInt(last.get(e.stream)!.revision)) last.set(e.stream, e);
  return {
    eventsSha256: digest(events),
    // A bundle whose `anchoring` member was renamed carries none: its digest differs, rather than the encoder throwing.
    anchoringSha256: digest(anchoring ?? null),
    heads: [...last.values()].sort((a, b) => (a.stream < b.stream ? -1 : 1)).map((e) => ({ stream: e.stream, revision: e.revision, hash: heads.get(e.stream)?.hash ?? null })),
    events: events.length,
  };
};

/** The bundle as a file: canonical JSON and a line feed. A verifier refuses any other bytes. */
export const serializeAuditBundle = (bundle: AuditBundle): string => `${canonicalJson(bundle)}\n`;

/** Where two texts first differ, as a byte offset into the UTF-8 file and a line and column. */
const firstDifference = (found: string, expected: string): string => {
  let i = 0;
  while (i < found.length && i < expected.length && found[i] === expected[i]) i++;
  const before = found.slice(0, i);
  const line = before.split('\n').length;
  return `byte ${utf8ToBytes(before).length} (line ${line}, column ${i - before.lastIndexOf('\n')})`;
};

/** The streams whose first event names the application (the application's own stream is named by its id). */
const belongsTo = (applicationId: string, first: ChainedEvent): boolean => {
  if (first.stream === streams.application(applicationId)) return true;
  if (![categories.endpoint, categories.message, categories.outbound].some((c) => first.stream.startsWith(c))) return false;
  return (first.data as { applicationId?: unknown } | null)?.applicationId === applicationId;
};

/**
 * Verifies an audit bundle against the deployment's Ed25519 public key (32 bytes). Given the file's text, it also
 * refuses any byte that is not where the canonical encoding puts it. Needs no network. Names every problem found,
 * then folds the events into the delivery report (per message: each endpoint, each attempt, the final status).
 */
export const verifyAuditBundle = (input: AuditBundle | string | Uint8Array, publicKey: Uint8Array): BundleVerification => {
  try {
    return verifyBundleOrThrow(input, publicKey);
  } catch (error) {
    // Defence in depth: a shape no check above foresaw is still an answer, never a throw.
    const message = `The bundle could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    return { valid: false, proven: false, problems: [{ at: 'bundle', reason: 'format', message }], applicationId: null, streams: 0, events: 0, anchoredEvents: 0, unanchoredEvents: 0, unchainedEvents: 0, report: { messages: [] } };
  }
};

const verifyBundleOrThrow = (input: AuditBundle | string | Uint8Array, publicKey: Uint8Array): BundleVerification => {
  const problems: Problem[] = [];
  const empty = (): BundleVerification => ({ valid: false, proven: false, problems, applicationId: null, streams: 0, events: 0, anchoredEvents: 0, unanchoredEvents: 0, unchainedEvents: 0, report: { messages: [] } });
  let bundle: AuditBundle;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    let text: string;
    try {
      text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
      bundle = JSON.parse(text) as AuditBundle;
    } catch (error) {
      problems.push({ at: 'file', reason: 'format', message: `The bundle is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}` });
      return empty();
    }
    const canonical = `${canonicalJson(bundle)}\n`;
    if (canonical !== text) problems.push({ at: 'file', reason: 'canonical', message: `The file is not the bundle's canonical encoding from ${firstDifference(text, canonical)} on (a byte was changed, added or removed).` });
  } else bundle = input;

  if (bundle?.format !== BUNDLE_FORMAT || !bundle.manifest || !Array.isArray(bundle.events) || typeof bundle.signature !== 'string') {
    problems.push({ at: 'format', reason: 'format', message: `Not a ${BUNDLE_FORMAT} bundle {format, manifest, signature, events, anchoring}.` });
    return empty();
  }
  const { manifest } = bundle;
  let signed = false;
  try {
    signed = ed25519.verify(hexToBytes(bundle.signature), manifestSigningBytes(manifest), publicKey);
  } catch {
    signed = false;
  }
  if (!signed) problems.push({ at: 'manifest', reason: 'signature', message: 'The manifest\'s signature does not verify with the public key (the manifest was edited, or signed with another key).' });
  if (manifest.format !== BUNDLE_FORMAT) problems.push({ at: 'manifest.format', reason: 'format', message: `The manifest's format is not ${BUNDLE_FORMAT}.` });

  const { heads, problems: chainProblems } = verifyStreams(bundle.events, (i) => `events[${i}]`);
  problems.push(...chainProblems);
  const carried = manifestDigests(bundle.events, bundle.anchoring);
  if (carried.eventsSha256 !== manifest.eventsSha256) problems.push({ at: 'events', reason: 'digest', message: `The events hash to ${carried.eventsSha256}, not to the manifest's ${manifest.eventsSha256} (an event was edited, added, removed or moved).` });
  if (carried.anchoringSha256 !== manifest.anchoringSha256) problems.push({ at: 'anchoring', reason: 'digest', message: `The anchoring hashes to ${carried.anchoringSha256}, not to the manifest's ${manifest.anchoringSha256}.` });
  // A manifest whose `heads` member was renamed or retyped lists no heads: named here, not thrown by the encoder.
  if (!Array.isArray(manifest.heads) || canonicalJson(carried.heads) !== canonicalJson(manifest.heads)) problems.push({ at: 'manifest.heads', reason: 'mismatch', message: 'The streams carried and their heads are not the ones the manifest lists (a stream was removed, cut or added).' });

  const firsts = new Map<string, ChainedEvent>();
  for (const e of bundle.events) if (isChainedEvent(e) && e.revision === '0') firsts.set(e.stream, e);
  for (const [stream, first] of firsts) {
    if (!belongsTo(manifest.applicationId, first)) problems.push({ at: `stream ${stream}`, reason: 'mismatch', message: `Stream ${stream} does not belong to application ${manifest.applicationId}.` });
  }

  const { anchoredUpTo, problems: anchorProblems } = checkAnchoring(bundle.anchoring, publicKey, (stream, revision) => heads.get(stream)?.hashes[Number(revision)] ?? undefined, 'anchoring');
  problems.push(...anchorProblems);
  let anchoredEvents = 0;
  let unchainedEvents = 0;
  for (const e of bundle.events) {
    const upTo = isChainedEvent(e) ? anchoredUpTo.get(e.stream) : undefined;
    if (upTo !== undefined && BigInt(e.revision) <= upTo) anchoredEvents++;
  }
  for (const head of heads.values()) unchainedEvents += head.unchainedEvents;
  const valid = problems.length === 0;
  const verifiedEvents = bundle.events.filter((e) => isChainedEvent(e) && heads.has(e.stream));
  return {
    valid,
    proven: valid && anchoredEvents === bundle.events.length,
    problems,
    applicationId: manifest.applicationId,
    streams: heads.size,
    events: bundle.events.length,
    anchoredEvents,
    unanchoredEvents: bundle.events.length - anchoredEvents,
    unchainedEvents,
    report: foldDeliveryReport(verifiedEvents),
  };
};
