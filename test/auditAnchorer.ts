// Until the anchors branch's anchorer is merged into this branch, the receipts and bundle tests anchor the log with
// this: the same key event and anchor events (domain/audit/audit.ts on that branch), signed with the anchors library
// (sdk/src/audit/anchor.ts), appended to the real store. It pins the head of every stream changed since its last call.
import { bytesToHex } from '@noble/hashes/utils.js';
import { sealSecret } from '../domain/secretBox';
import type { AnchoredHead, AnchorData } from '../sdk/src/audit/anchor.js';
import { ANCHOR_GENESIS_HASH, anchorHash, generateAnchorKeyPair, keyIdOf, signAnchor } from '../sdk/src/audit/anchor.js';
import { chainLinkOf } from '../sdk/src/audit/chain.js';
import type { EventStore, Position } from '../store/eventStore';
import { positionToString } from '../store/eventStore';

export type TestAnchorer = Readonly<{ publicKey: Uint8Array; publicKeyHex: string; anchor: () => Promise<AnchorData | null> }>;

export const startTestAnchorer = async (events: EventStore, masterKey: Buffer): Promise<TestAnchorer> => {
  const { secretKey, publicKey } = generateAnchorKeyPair();
  await events.appendToStream(
    'auditkey-deployment',
    [{ type: 'AuditKeyCreated', data: { keyId: keyIdOf(publicKey), algorithm: 'Ed25519', publicKey: bytesToHex(publicKey), secretKey: sealSecret(masterKey, bytesToHex(secretKey)), createdAt: new Date().toISOString() } }],
    { expectedRevision: 'no_stream' },
  );
  let after: Position | undefined;
  let previous: AnchorData | null = null;
  const anchor = async (): Promise<AnchorData | null> => {
    const heads = new Map<string, AnchoredHead>();
    let last: Position | undefined;
    for await (const e of events.readAll(after ? { fromPosition: after } : {})) {
      last = e.position;
      if (e.streamId.startsWith('audit')) continue;
      const link = chainLinkOf(e.metadata);
      if (link && link !== 'malformed') heads.set(e.streamId, { stream: e.streamId, revision: e.revision.toString(), hash: link.hash });
    }
    if (!last || heads.size === 0) return null;
    after = last;
    const sequence = previous ? BigInt(previous.sequence) + 1n : 0n;
    const data = signAnchor({ sequence, prev: previous ? anchorHash(previous) : ANCHOR_GENESIS_HASH, heads: [...heads.values()], upTo: positionToString(last), at: new Date() }, secretKey);
    await events.appendToStream('auditanchors-deployment', [{ type: 'AuditAnchor', data: { ...data, heads: [...data.heads] } }], { expectedRevision: previous ? BigInt(previous.sequence) : 'no_stream' });
    previous = data;
    return data;
  };
  return { publicKey, publicKeyHex: bytesToHex(publicKey), anchor };
};
