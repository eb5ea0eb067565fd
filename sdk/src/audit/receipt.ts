// A signed delivery receipt (issue 18 item 3; docs/audit.md, "Receipts"): an attempt's facts, the chained events that
// prove them, and the inclusion proofs of those streams' heads up to signed anchors. Verified offline, in a browser
// too, against the deployment's public key only. Pure: no `node:` import.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Message } from '../../../domain/message/message.js';
import { webhookBody } from '../../../domain/message/message.js';
import { streams } from '../../../domain/streams.js';
import { canonicalJson } from './chain.js';
import type { Anchoring } from './anchoring.js';
import { checkAnchoring } from './anchoring.js';
import type { ReportAttempt, ReportDelivery, ReportMessage } from './report.js';
import { foldDeliveryReport } from './report.js';
import type { ChainedEvent, Problem } from './streams.js';
import { isChainedEvent, verifyStreams } from './streams.js';

export const RECEIPT_FORMAT = 'hookbase-receipt/1';

export type Receipt = Readonly<{
  format: typeof RECEIPT_FORMAT;
  /** When the server wrote it (not covered by anything: the proofs are). */
  issuedAt: string;
  applicationId: string;
  messageId: string;
  outboundId: string;
  endpointId: string;
  /** The attempts the receipt is for (one, or every attempt so far), as the chained events record them. */
  attempts: readonly ReportAttempt[];
  /** The message's stream and the delivery's stream, each whole from revision 0. */
  events: readonly ChainedEvent[];
  /** Signed anchors and the inclusion proofs of the two streams' heads. */
  anchoring: Anchoring;
}>;

export type VerifiedAttempt = ReportAttempt & Readonly<{
  /** The revision of its event in the delivery's stream. */
  revision: string;
  /** Its event is pinned by a verified signed anchor (else the chain alone vouches for it: see docs/audit.md). */
  anchored: boolean;
}>;

export type ReceiptVerification = Readonly<{
  /** Nothing is wrong: every chain, claim, hash, signature and proof carried checks out. */
  valid: boolean;
  /** Valid, and the message and every attempt of the receipt are pinned by a signed anchor. */
  proven: boolean;
  problems: readonly Problem[];
  attempts: readonly VerifiedAttempt[];
  /** The delivery as the domain folds the carried events; null when they do not hold it. */
  delivery: ReportDelivery | null;
  message: Omit<ReportMessage, 'deliveries'> | null;
}>;

const hex = (text: string): string => bytesToHex(sha256(utf8ToBytes(text)));

/**
 * The receipt as a file: JSON with its members in the order the server wrote them, and a line feed. Not canonical
 * JSON: the body's hash is recomputed from the message's payload as stored, whose member order is the order of the
 * bytes sent (the chain's hash does not depend on it, the body's does).
 */
export const serializeReceipt = (receipt: Receipt): string => `${JSON.stringify(receipt)}\n`;

/**
 * Verifies a receipt against the deployment's Ed25519 public key (32 bytes; `parsePublicKey` reads the PEM or hex that
 * `hookbase audit key` prints). Needs no network. Names every problem found.
 */
export const verifyReceipt = (input: Receipt | string, publicKey: Uint8Array): ReceiptVerification => {
  try {
    return verifyReceiptOrThrow(input, publicKey);
  } catch (error) {
    // Defence in depth: a shape no check foresaw is still an answer, never a throw.
    const message = `The receipt could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    return { valid: false, proven: false, problems: [{ at: 'receipt', reason: 'format', message }], attempts: [], delivery: null, message: null };
  }
};

const verifyReceiptOrThrow = (input: Receipt | string, publicKey: Uint8Array): ReceiptVerification => {
  const problems: Problem[] = [];
  const fail = (verdict: Partial<ReceiptVerification> = {}): ReceiptVerification => ({ valid: false, proven: false, problems, attempts: [], delivery: null, message: null, ...verdict });
  let receipt: Receipt;
  try {
    receipt = typeof input === 'string' ? (JSON.parse(input) as Receipt) : input;
  } catch (error) {
    problems.push({ at: 'receipt', reason: 'format', message: `The receipt is not JSON: ${error instanceof Error ? error.message : String(error)}` });
    return fail();
  }
  if (receipt?.format !== RECEIPT_FORMAT || !Array.isArray(receipt.events) || !Array.isArray(receipt.attempts)) {
    problems.push({ at: 'format', reason: 'format', message: `Not a ${RECEIPT_FORMAT} receipt {format, applicationId, messageId, outboundId, endpointId, attempts, events, anchoring}.` });
    return fail();
  }
  const messageStream = streams.message(receipt.messageId);
  const outboundStream = streams.outbound(receipt.outboundId);
  receipt.events.forEach((e, i) => {
    if (e?.stream !== messageStream && e?.stream !== outboundStream) problems.push({ at: `events[${i}]`, reason: 'mismatch', message: `events[${i}] is of stream ${String(e?.stream)}, neither ${messageStream} nor ${outboundStream}.` });
  });
  const { heads, problems: chainProblems } = verifyStreams(receipt.events, (i) => `events[${i}]`);
  problems.push(...chainProblems);

  // The facts, folded from the carried events by the domain's own evolve functions.
  const report = foldDeliveryReport(receipt.events.filter((e) => isChainedEvent(e) && heads.has(e.stream)));
  const folded = report.messages.find((m) => m.messageId === receipt.messageId);
  const sent = receipt.events.find((e) => e.stream === messageStream && e.type === 'MessageSent');
  const delivery = folded?.deliveries.find((d) => d.outboundId === receipt.outboundId) ?? null;
  if (!folded || !sent) problems.push({ at: 'events', reason: 'mismatch', message: `The carried events hold no message ${receipt.messageId}.` });
  else if (!delivery) problems.push({ at: 'events', reason: 'mismatch', message: `Message ${receipt.messageId} has no delivery ${receipt.outboundId}.` });
  const sentData = sent?.data as Partial<Message & { messageId: string }> | undefined;
  if (sentData && sentData.applicationId !== receipt.applicationId) {
    problems.push({ at: 'applicationId', reason: 'mismatch', message: `The message belongs to ${String(sentData.applicationId)}, not to ${receipt.applicationId}.` });
  }
  if (delivery && delivery.endpointId !== receipt.endpointId) {
    problems.push({ at: 'endpointId', reason: 'mismatch', message: `Delivery ${receipt.outboundId} is to ${delivery.endpointId}, not to ${receipt.endpointId}.` });
  }
  // The body each request claims to have sent is the message's body: its hash is recomputed from the chained message.
  const bodySha256 = folded ? hex(webhookBody({ id: folded.messageId, eventType: folded.eventType, payload: sentData?.payload ?? null, timestamp: folded.timestamp })) : null;

  const { anchoredUpTo, problems: anchorProblems } = checkAnchoring(receipt.anchoring, publicKey, (stream, revision) => heads.get(stream)?.hashes[Number(revision)] ?? undefined, 'anchoring');
  problems.push(...anchorProblems);

  const attemptRevisions = new Map<number, string>();
  for (const e of receipt.events) {
    if (e.stream === outboundStream && (e.type === 'AttemptSucceeded' || e.type === 'AttemptFailed')) attemptRevisions.set((e.data as { attemptNumber: number }).attemptNumber, e.revision);
  }
  const attempts: VerifiedAttempt[] = [];
  receipt.attempts.forEach((claim, i) => {
    const at = `attempts[${i}] (attempt ${String(claim?.attemptNumber)})`;
    const fact = delivery?.attempts.find((a) => a.attemptNumber === claim?.attemptNumber);
    if (!fact) return problems.push({ at, reason: 'mismatch', message: `${at}: no such attempt among the carried events.` });
    if (canonicalJson(fact) !== canonicalJson(claim)) return problems.push({ at, reason: 'mismatch', message: `${at}: it differs from the attempt the chained events record.` });
    if (fact.request) {
      if (fact.request.webhookId !== receipt.messageId) problems.push({ at, reason: 'mismatch', message: `${at}: webhook-id ${fact.request.webhookId} is not the message id ${receipt.messageId}.` });
      if (bodySha256 !== null && fact.request.bodySha256 !== bodySha256) problems.push({ at, reason: 'mismatch', message: `${at}: the body hash sent, ${fact.request.bodySha256}, is not the hash ${bodySha256} of the message's body (edited, or the payload's members re-ordered).` });
    }
    const revision = attemptRevisions.get(fact.attemptNumber) ?? '';
    const upTo = anchoredUpTo.get(outboundStream);
    attempts.push({ ...fact, revision, anchored: upTo !== undefined && revision !== '' && BigInt(revision) <= upTo });
    return undefined;
  });
  if (receipt.attempts.length === 0) problems.push({ at: 'attempts', reason: 'format', message: 'The receipt is for no attempt.' });

  const valid = problems.length === 0;
  const messageAnchored = anchoredUpTo.has(messageStream);
  const message = folded ? { messageId: folded.messageId, eventType: folded.eventType, eventId: folded.eventId, timestamp: folded.timestamp } : null;
  return { valid, proven: valid && messageAnchored && attempts.length > 0 && attempts.every((a) => a.anchored), problems, attempts, delivery, message };
};
