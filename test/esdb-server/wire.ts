import { Metadata } from '@grpc/grpc-js';
import type { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { LogPosition, LoggedEvent } from './log';
import { anyPb, sharedPb, streamsPb } from './pb';

/** Conversions between the log's records and the client's protobuf messages, and the server's error shapes. */

type ReadEventMessage = InstanceType<typeof streamsPb.ReadResp.ReadEvent>;
type RecordedEventMessage = InstanceType<typeof streamsPb.ReadResp.ReadEvent.RecordedEvent>;

export const streamIdentifier = (streamId: string): InstanceType<typeof sharedPb.StreamIdentifier> =>
  new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));

export const streamNameOf = (identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string =>
  Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');

export const uuidOf = (uuid: InstanceType<typeof sharedPb.UUID> | undefined): string => {
  if (!uuid) return '';
  if (uuid.hasStructured()) {
    const s = uuid.getStructured();
    const buf = Buffer.alloc(16);
    buf.writeBigInt64BE(BigInt(s?.getMostSignificantBits() ?? '0'), 0);
    buf.writeBigInt64BE(BigInt(s?.getLeastSignificantBits() ?? '0'), 8);
    const hex = buf.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return uuid.getString();
};

export const recordedEvent = (e: LoggedEvent): RecordedEventMessage => {
  const m = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  m.setId(new sharedPb.UUID().setString(e.id));
  m.setStreamIdentifier(streamIdentifier(e.streamId));
  m.setStreamRevision(e.revision.toString());
  m.setCommitPosition(e.position.commit.toString());
  m.setPreparePosition(e.position.prepare.toString());
  m.getMetadataMap().set('type', e.type).set('content-type', e.contentType).set('created', e.createdTicks.toString());
  m.setCustomMetadata(e.metadata);
  m.setData(e.data);
  return m;
};

/** An event as a read or a catch-up subscription sends it: its own record and position. */
export const readEvent = (e: LoggedEvent): ReadEventMessage => {
  const m = new streamsPb.ReadResp.ReadEvent();
  m.setEvent(recordedEvent(e));
  m.setCommitPosition(e.position.commit.toString());
  return m;
};

export const positionFrom = (p: { getCommitPosition(): string; getPreparePosition(): string }): LogPosition => ({
  commit: BigInt(p.getCommitPosition()),
  prepare: BigInt(p.getPreparePosition()),
});

/**
 * An RPC error the client maps to its own error classes: it reads the `exception` trailer (and the others named
 * in its CommandError.js) — the real server's RpcExceptions put the same ones there.
 */
export const rpcError = (code: status, details: string, trailers: Record<string, string> = {}): ServiceError => {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  const error = new Error(details) as ServiceError;
  Object.assign(error, { code, details, metadata });
  return error;
};

/** A google.protobuf.Any holding `message` under its protobuf type name, as the server's Status details. */
export const packAny = (message: { serializeBinary(): Uint8Array }, typeName: string): InstanceType<typeof anyPb.Any> => {
  const any = new anyPb.Any();
  any.pack(message.serializeBinary(), typeName);
  return any;
};

/** Event-filter of a `$all` subscription: by stream name or event type, by prefixes or a regex (unanchored, as .NET's IsMatch). */
export type EventFilter = (e: Pick<LoggedEvent, 'streamId' | 'type'>) => boolean;

type FilterExpression = { getRegex(): string; getPrefixList(): string[] };
/** The filter options of a `$all` read or subscription, and of a persistent subscription to `$all` (the same shape). */
export type FilterOptions = {
  hasStreamIdentifier(): boolean;
  getStreamIdentifier(): FilterExpression | undefined;
  getEventType(): FilterExpression | undefined;
};

export const filterFrom = (options: FilterOptions | undefined): EventFilter | undefined => {
  if (!options) return undefined;
  const byStream = options.hasStreamIdentifier();
  const expression = byStream ? options.getStreamIdentifier() : options.getEventType();
  if (!expression) return undefined;
  const pick = (e: Pick<LoggedEvent, 'streamId' | 'type'>): string => (byStream ? e.streamId : e.type);
  const regex = expression.getRegex();
  if (regex) {
    const re = new RegExp(regex);
    return (e) => re.test(pick(e));
  }
  const prefixes = expression.getPrefixList();
  return (e) => prefixes.some((p) => pick(e).startsWith(p));
};
