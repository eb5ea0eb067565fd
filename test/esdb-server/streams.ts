import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { EventLog, Expected, LogPosition, LoggedEvent, ProposedEvent } from './log';
import { WrongExpectedVersion, comparePositions } from './log';
import { emptyPb, sharedPb, statusPb, streamsPb } from './pb';
import type { EventFilter } from './wire';
import { filterFrom, packAny, positionFrom, readEvent, rpcError, streamIdentifier, streamNameOf, uuidOf } from './wire';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>;
type BatchAppendResp = InstanceType<typeof streamsPb.BatchAppendResp>;

export type StreamsOptions = Readonly<{
  /**
   * Bytes one append may carry. The real server's default is 1 MiB (EventStoreDB v24.10
   * src/EventStore.Core/Configuration/ClusterVNodeOptions.cs: `MaxAppendSize { get; init; } = 1_024 * 1_024`).
   */
  maxAppendSize: number;
  /**
   * Events read per page of a filtered catch-up, and the checkpoint interval's unit: the real server's
   * ReadBatchSize (v24.10 src/EventStore.Core/Services/Transport/Enumerators/Enumerator.cs: 32).
   */
  readBatchSize: number;
}>;

/**
 * What the real server counts of an event against MaxAppendSize: `Event.SizeOnDisk` (v24.10
 * src/EventStore.Core/Data/Event.cs), `data?.Length ?? 0 + metadata?.Length ?? 0 + eventType.Length * 2`, which
 * C#'s precedence makes the data's length alone whenever there is data.
 */
const sizeOnDisk = (e: ProposedEvent): number => e.data.length;

/** Writes with the stream's backpressure; false when the call ended meanwhile. */
const send = async <T>(call: ServerWritableStream<ReadReq, T> | ServerDuplexStream<BatchAppendReq, T>, message: T): Promise<boolean> => {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(message)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      call.off('drain', onDrain);
      call.off('cancelled', onEnd);
      call.off('close', onEnd);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onEnd = (): void => done(false);
    call.on('drain', onDrain);
    call.on('cancelled', onEnd);
    call.on('close', onEnd);
  });
};

const proposedOf = (m: { getId(): InstanceType<typeof sharedPb.UUID> | undefined; getMetadataMap(): { get(k: string): string | undefined }; getData_asU8(): Uint8Array; getCustomMetadata_asU8(): Uint8Array }): ProposedEvent => {
  const type = m.getMetadataMap().get('type');
  const contentType = m.getMetadataMap().get('content-type');
  if (!type || !contentType) throw rpcError(status.INVALID_ARGUMENT, 'Required metadata property is missing', { exception: 'missing-required-metadata-property', 'required-metadata-properties': 'type,content-type' });
  return { id: uuidOf(m.getId()) || randomUUID(), type, contentType, data: m.getData_asU8(), metadata: m.getCustomMetadata_asU8() };
};

const maxAppendSizeError = (max: number) =>
  rpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, { exception: 'maximum-append-size-exceeded', 'maximum-append-size': String(max) });

/** Waits for the next write to the log, or the end of the call. */
const nextWrite = (log: EventLog, call: ServerWritableStream<ReadReq, ReadResp>): Promise<void> =>
  new Promise((resolve) => {
    const stop = (): void => {
      off();
      call.off('cancelled', stop);
      call.off('close', stop);
      resolve();
    };
    const off = log.onWrite(stop);
    call.on('cancelled', stop);
    call.on('close', stop);
  });

export const streamsService = (log: EventLog, options: StreamsOptions): UntypedServiceImplementation => ({
  read: (call: ServerWritableStream<ReadReq, ReadResp>): void => {
    void read(log, options, call).catch((error: unknown) => {
      // A streaming call ends with a status by an 'error' event (grpc-js sends its code, details and metadata).
      if (!call.cancelled) call.emit('error', error instanceof Error ? error : new Error(String(error)));
    });
  },

  append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void => {
    let streamId = '';
    let expected: Expected = 'any';
    const events: ProposedEvent[] = [];
    let size = 0;
    let failed = false;
    call.on('data', (req: AppendReq) => {
      if (failed) return;
      try {
        if (req.hasOptions()) {
          const o = req.getOptions();
          streamId = streamNameOf(o?.getStreamIdentifier());
          expected = o?.hasNoStream() ? 'no_stream' : o?.hasStreamExists() ? 'stream_exists' : o?.hasAny() ? 'any' : BigInt(o?.getRevision() ?? '0');
          return;
        }
        const message = req.getProposedMessage();
        if (!message) return;
        const e = proposedOf(message);
        // Streams.Append.cs (v24.10): the size is summed as messages arrive and checked at each one.
        size += sizeOnDisk(e);
        if (size > options.maxAppendSize) throw maxAppendSizeError(options.maxAppendSize);
        events.push(e);
      } catch (error) {
        failed = true;
        callback(error as Error);
      }
    });
    call.on('end', () => {
      if (failed) return;
      const resp = new streamsPb.AppendResp();
      try {
        const written = log.write(streamId, events, expected);
        const success = new streamsPb.AppendResp.Success();
        const current = log.currentRevision(streamId);
        if (current < 0n) success.setNoStream(new sharedPb.Empty());
        else success.setCurrentRevision(current.toString());
        const last = written.at(-1)?.position ?? lastOf(log, streamId);
        if (last) success.setPosition(new streamsPb.AppendResp.Position().setCommitPosition(last.commit.toString()).setPreparePosition(last.prepare.toString()));
        else success.setNoPosition(new sharedPb.Empty());
        resp.setSuccess(success);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion)) {
          callback(error as Error);
          return;
        }
        const w = new streamsPb.AppendResp.WrongExpectedVersion();
        if (error.current < 0n) w.setCurrentNoStream(new sharedPb.Empty());
        else w.setCurrentRevision(error.current.toString());
        if (error.expected === 'any') w.setExpectedAny(new sharedPb.Empty());
        else if (error.expected === 'no_stream') w.setExpectedNoStream(new sharedPb.Empty());
        else if (error.expected === 'stream_exists') w.setExpectedStreamExists(new sharedPb.Empty());
        else w.setExpectedRevision(error.expected.toString());
        resp.setWrongExpectedVersion(w);
      }
      callback(null, resp);
    });
  },

  batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void => {
    type Pending = { streamId: string; expected: Expected; events: ProposedEvent[]; size: number };
    const pending = new Map<string, Pending>();
    const respond = (req: BatchAppendReq, streamId: string, fill: (resp: BatchAppendResp) => void): void => {
      const resp = new streamsPb.BatchAppendResp();
      const correlation = req.getCorrelationId();
      if (correlation) resp.setCorrelationId(correlation);
      resp.setStreamIdentifier(streamIdentifier(streamId));
      fill(resp);
      void send(call, resp);
    };
    call.on('data', (req: BatchAppendReq) => {
      const correlation = uuidOf(req.getCorrelationId());
      if (req.hasOptions()) {
        const o = req.getOptions();
        const expected: Expected = o?.hasNoStream() ? 'no_stream' : o?.hasStreamExists() ? 'stream_exists' : o?.hasAny() ? 'any' : BigInt(o?.getStreamPosition() ?? '0');
        pending.set(correlation, { streamId: streamNameOf(o?.getStreamIdentifier()), expected, events: [], size: 0 });
      }
      const write = pending.get(correlation);
      if (!write) return;
      try {
        for (const m of req.getProposedMessagesList()) {
          const e = proposedOf(m);
          write.size += sizeOnDisk(e);
          write.events.push(e);
        }
      } catch (error) {
        pending.delete(correlation);
        respond(req, write.streamId, (resp) => resp.setError(new statusPb.Status().setCode(3).setMessage((error as Error).message)));
        return;
      }
      // Streams.BatchAppend.cs (v24.10): over the limit, the write is dropped and answered MaximumAppendSizeExceeded.
      if (write.size > options.maxAppendSize) {
        pending.delete(correlation);
        const details = new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(options.maxAppendSize);
        respond(req, write.streamId, (resp) =>
          resp.setError(new statusPb.Status().setCode(3).setMessage('MaximumAppendSizeExceeded').setDetails(packAny(details, 'event_store.client.MaximumAppendSizeExceeded'))),
        );
        return;
      }
      if (!req.getIsFinal()) return;
      pending.delete(correlation);
      respond(req, write.streamId, (resp) => {
        try {
          const written = log.write(write.streamId, write.events, write.expected);
          const success = new streamsPb.BatchAppendResp.Success();
          const current = log.currentRevision(write.streamId);
          if (current < 0n) success.setNoStream(new emptyPb.Empty());
          else success.setCurrentRevision(current.toString());
          const last = written.at(-1)?.position ?? lastOf(log, write.streamId);
          if (last) success.setPosition(new sharedPb.AllStreamPosition().setCommitPosition(last.commit.toString()).setPreparePosition(last.prepare.toString()));
          else success.setNoPosition(new emptyPb.Empty());
          resp.setSuccess(success);
        } catch (error) {
          if (!(error instanceof WrongExpectedVersion)) {
            resp.setError(new statusPb.Status().setCode(2).setMessage(String(error)).setDetails(packAny(new sharedPb.Unknown(), 'event_store.client.Unknown')));
            return;
          }
          // Status.WrongExpectedVersion (v24.10 src/EventStore.Core/Services/Transport/Grpc/Status.cs), code AlreadyExists.
          const w = new sharedPb.WrongExpectedVersion();
          if (error.current < 0n) w.setCurrentNoStream(new emptyPb.Empty());
          else w.setCurrentStreamRevision(error.current.toString());
          if (error.expected === 'any') w.setExpectedAny(new emptyPb.Empty());
          else if (error.expected === 'no_stream') w.setExpectedNoStream(new emptyPb.Empty());
          else if (error.expected === 'stream_exists') w.setExpectedStreamExists(new emptyPb.Empty());
          else w.setExpectedStreamPosition(error.expected.toString());
          resp.setError(new statusPb.Status().setCode(6).setMessage('WrongExpectedVersion').setDetails(packAny(w, 'event_store.client.WrongExpectedVersion')));
        }
      });
    });
    call.on('end', () => call.end());
  },

  delete: (call: ServerUnaryCall<InstanceType<typeof streamsPb.DeleteReq>, unknown>, callback: sendUnaryData<InstanceType<typeof streamsPb.DeleteResp>>): void => {
    const o = call.request.getOptions();
    const streamId = streamNameOf(o?.getStreamIdentifier());
    const expected: Expected = o?.hasNoStream() ? 'no_stream' : o?.hasStreamExists() ? 'stream_exists' : o?.hasRevision() ? BigInt(o.getRevision()) : 'any';
    try {
      log.delete(streamId, expected);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion)) throw error;
      callback(
        rpcError(status.FAILED_PRECONDITION, error.message, {
          exception: 'wrong-expected-version',
          'stream-name': streamId,
          'expected-version': typeof expected === 'bigint' ? expected.toString() : '-1',
          ...(error.current >= 0n ? { 'actual-version': error.current.toString() } : {}),
        }),
      );
      return;
    }
    const end = log.endPosition();
    callback(null, new streamsPb.DeleteResp().setPosition(new streamsPb.DeleteResp.Position().setCommitPosition(end.commit.toString()).setPreparePosition(end.prepare.toString())));
  },
  tombstone: (_call: unknown, callback: sendUnaryData<unknown>): void => callback(rpcError(status.UNIMPLEMENTED, 'Tombstone is not implemented by the test server')),
});

/** The position of a stream's last event (an empty append answers it). */
const lastOf = (log: EventLog, streamId: string): LogPosition | undefined => log.stream(streamId)?.at(-1)?.position;

async function read(log: EventLog, options: StreamsOptions, call: ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
  const o = call.request.getOptions();
  if (!o) throw rpcError(status.INVALID_ARGUMENT, 'ReadReq without options');
  const backwards = o.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
  const count = o.hasCount() ? BigInt(o.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
  if (o.hasStream()) {
    const so = o.getStream();
    const streamId = streamNameOf(so?.getStreamIdentifier());
    if (o.hasSubscription()) {
      await subscribeToStream(log, call, streamId, so?.hasRevision() ? BigInt(so.getRevision()) : so?.hasEnd() ? 'end' : 'start');
      return;
    }
    const events = log.stream(streamId);
    if (!events) {
      const nf = new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId));
      await send(call, new streamsPb.ReadResp().setStreamNotFound(nf));
      call.end();
      return;
    }
    let selected: LoggedEvent[];
    if (backwards) {
      const from = so?.hasRevision() ? Number(so.getRevision()) : events.length - 1;
      selected = events.slice(0, Math.min(from, events.length - 1) + 1).reverse();
    } else {
      const from = so?.hasRevision() ? Number(so.getRevision()) : so?.hasEnd() ? events.length : 0;
      selected = events.slice(from);
    }
    await sendAll(call, selected, count);
    return;
  }
  const ao = o.getAll();
  if (o.hasSubscription()) {
    const from = ao?.hasPosition() ? positionFrom(ao.getPosition() as InstanceType<typeof streamsPb.ReadReq.Options.Position>) : ao?.hasEnd() ? 'end' : 'start';
    const filter = o.hasFilter() ? o.getFilter() : undefined;
    await subscribeToAll(log, options, call, from, filterFrom(filter), filter ? (filter.hasMax() ? filter.getMax() : options.readBatchSize) * Math.max(1, filter.getCheckpointintervalmultiplier()) : undefined);
    return;
  }
  let selected: LoggedEvent[];
  const all = log.events;
  if (backwards) {
    // Backwards from a position: the records before it (AllReader.cs ReadAllEventsBackward).
    const end = ao?.hasPosition() ? log.indexAtOrAfter(positionFrom(ao.getPosition() as InstanceType<typeof streamsPb.ReadReq.Options.Position>)) : ao?.hasStart() ? 0 : all.length;
    selected = all.slice(0, end).reverse();
  } else {
    // Forwards from a position: the record at it included (the client's readAll is inclusive).
    const start = ao?.hasPosition() ? log.indexAtOrAfter(positionFrom(ao.getPosition() as InstanceType<typeof streamsPb.ReadReq.Options.Position>)) : ao?.hasEnd() ? all.length : 0;
    selected = all.slice(start);
  }
  const filter = o.hasFilter() ? filterFrom(o.getFilter()) : undefined;
  await sendAll(call, filter ? selected.filter(filter) : selected, count);
}

async function sendAll(call: ServerWritableStream<ReadReq, ReadResp>, events: readonly LoggedEvent[], count: bigint): Promise<void> {
  let sent = 0n;
  for (const e of events) {
    if (sent >= count) break;
    if (!(await send(call, new streamsPb.ReadResp().setEvent(readEvent(e))))) return;
    sent++;
  }
  call.end();
}

/**
 * A catch-up subscription to `$all`, after the way Enumerator.AllSubscriptionFiltered.cs (v24.10) runs one: the
 * events after the start position (exclusive), then live ones. With a filter it sends a checkpoint each time it
 * has considered `checkpointInterval` events (the window, 32 by default, times the client's multiplier) — during
 * catch-up at the last event considered, live at the event that completes the interval (SubscriptionsService.cs)
 * — and one when catch-up reaches the end of the log, at the last event sent. Without a filter, no checkpoints.
 */
async function subscribeToAll(
  log: EventLog,
  options: StreamsOptions,
  call: ServerWritableStream<ReadReq, ReadResp>,
  from: LogPosition | 'start' | 'end',
  filter: EventFilter | undefined,
  checkpointInterval: number | undefined,
): Promise<void> {
  void options;
  const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
  if (!(await send(call, new streamsPb.ReadResp().setConfirmation(confirmation)))) return;
  let index: number;
  let checkpoint: LogPosition;
  if (from === 'start') {
    index = 0;
    checkpoint = { commit: 0n, prepare: 0n };
  } else if (from === 'end') {
    index = log.events.length;
    checkpoint = log.events.at(-1)?.position ?? { commit: 0n, prepare: 0n };
  } else {
    index = log.indexAtOrAfter(from);
    checkpoint = from;
  }
  const sendCheckpoint = (p: LogPosition): Promise<boolean> =>
    send(call, new streamsPb.ReadResp().setCheckpoint(new streamsPb.ReadResp.Checkpoint().setCommitPosition(p.commit.toString()).setPreparePosition(p.prepare.toString())));
  let considered = 0;
  let caughtUp = false;
  while (!call.cancelled && !call.destroyed) {
    const e = log.events[index];
    if (!e) {
      if (!caughtUp) {
        caughtUp = true;
        if (checkpointInterval !== undefined && !(await sendCheckpoint(checkpoint))) return;
        if (!(await send(call, new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp())))) return;
        // Live, the count starts again (SubscriptionsService.cs: checkpointIntervalCurrent 0 at subscription).
        considered = 0;
      }
      await nextWrite(log, call);
      continue;
    }
    index++;
    // Events at or before the start position are not the subscription's (it starts after it).
    if (comparePositions(e.position, checkpoint) <= 0) continue;
    considered++;
    if (!filter || filter(e)) {
      if (!(await send(call, new streamsPb.ReadResp().setEvent(readEvent(e))))) return;
      checkpoint = e.position;
    }
    if (checkpointInterval !== undefined && considered >= checkpointInterval) {
      considered = 0;
      checkpoint = e.position;
      if (!(await sendCheckpoint(checkpoint))) return;
    }
  }
}

/**
 * A catch-up subscription to one stream: its events after the revision (exclusive), from its start, or from its
 * end, then live ones (Enumerator.StreamSubscription.cs). A stream that does not exist yet is waited for.
 */
async function subscribeToStream(log: EventLog, call: ServerWritableStream<ReadReq, ReadResp>, streamId: string, from: bigint | 'start' | 'end'): Promise<void> {
  const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
  if (!(await send(call, new streamsPb.ReadResp().setConfirmation(confirmation)))) return;
  let next = from === 'start' ? 0 : from === 'end' ? (log.stream(streamId)?.length ?? 0) : Number(from) + 1;
  let caughtUp = false;
  while (!call.cancelled && !call.destroyed) {
    const e = log.stream(streamId)?.[next];
    if (!e) {
      if (!caughtUp) {
        caughtUp = true;
        if (!(await send(call, new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp())))) return;
      }
      await nextWrite(log, call);
      continue;
    }
    next++;
    if (!(await send(call, new streamsPb.ReadResp().setEvent(readEvent(e))))) return;
  }
}
