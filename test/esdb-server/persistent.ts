import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { EventLog } from './log';
import { persistentPb, sharedPb } from './pb';
import type { Consumer, GroupSettings } from './persistentGroup';
import { Group, notFound, settingsFrom } from './persistentGroup';
import { filterFrom, positionFrom, rpcError, uuidOf } from './wire';

/** The PersistentSubscriptions service of the test server: groups on `$all` (persistentGroup.ts holds their behaviour). */

type AllOptionsMessage = InstanceType<typeof persistentPb.CreateReq.AllOptions> | InstanceType<typeof persistentPb.UpdateReq.AllOptions>;

const startFromOf = (all: AllOptionsMessage | undefined): GroupSettings['startFrom'] => {
  const position = all?.getPosition();
  if (position) return positionFrom(position);
  return all?.hasStart() ? 'start' : 'end';
};

export class PersistentSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: EventLog) {
    // The real server's clock tick is a second; a shorter one keeps timeouts in tests close to their setting.
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const g of this.groups.values()) g.tick(now);
    }, 100);
    this.timer.unref();
    // New events reach the groups' consumers once the write that brought them is over.
    let scheduled = false;
    log.onWrite(() => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        for (const g of this.groups.values()) g.ack([]);
      });
    });
  }

  /** As RestartSubsystem (and a server restart): every group reloads from its checkpoint, consumers dropped. */
  restartAll(): void {
    for (const g of this.groups.values()) g.restart();
  }

  close(): void {
    clearInterval(this.timer);
    for (const g of this.groups.values()) for (const c of g.consumers.splice(0)) c.call.end();
  }

  service(): UntypedServiceImplementation {
    return {
      create: (call: ServerUnaryCall<InstanceType<typeof persistentPb.CreateReq>, unknown>, callback: sendUnaryData<InstanceType<typeof persistentPb.CreateResp>>) => {
        const o = call.request.getOptions();
        const name = o?.getGroupName() ?? '';
        if (!o?.hasAll()) return callback(rpcError(status.UNIMPLEMENTED, 'the test server implements persistent subscriptions to $all only'));
        if (this.groups.has(name)) {
          return callback(
            rpcError(status.ALREADY_EXISTS, `Subscription group ${name} on stream $all exists.`, { exception: 'persistent-subscription-exists', 'stream-name': '$all', 'group-name': name }),
          );
        }
        const all = o.getAll();
        this.groups.set(name, new Group(this.log, name, settingsFrom(o.getSettings(), startFromOf(all)), filterFrom(all?.getFilter())));
        callback(null, new persistentPb.CreateResp());
      },
      update: (call: ServerUnaryCall<InstanceType<typeof persistentPb.UpdateReq>, unknown>, callback: sendUnaryData<InstanceType<typeof persistentPb.UpdateResp>>) => {
        const o = call.request.getOptions();
        const name = o?.getGroupName() ?? '';
        const group = this.groups.get(name);
        if (!group) return callback(notFound(name));
        group.settings = settingsFrom(o?.getSettings(), group.settings.startFrom);
        group.restart();
        callback(null, new persistentPb.UpdateResp());
      },
      delete: (call: ServerUnaryCall<InstanceType<typeof persistentPb.DeleteReq>, unknown>, callback: sendUnaryData<InstanceType<typeof persistentPb.DeleteResp>>) => {
        const name = call.request.getOptions()?.getGroupName() ?? '';
        const group = this.groups.get(name);
        if (!group) return callback(notFound(name));
        group.restart();
        this.groups.delete(name);
        callback(null, new persistentPb.DeleteResp());
      },
      getInfo: (call: ServerUnaryCall<InstanceType<typeof persistentPb.GetInfoReq>, unknown>, callback: sendUnaryData<InstanceType<typeof persistentPb.GetInfoResp>>) => {
        const name = call.request.getOptions()?.getGroupName() ?? '';
        const group = this.groups.get(name);
        if (!group) return callback(notFound(name));
        callback(null, new persistentPb.GetInfoResp().setSubscriptionInfo(group.info()));
      },
      replayParked: (call: ServerUnaryCall<InstanceType<typeof persistentPb.ReplayParkedReq>, unknown>, callback: sendUnaryData<InstanceType<typeof persistentPb.ReplayParkedResp>>) => {
        const name = call.request.getOptions()?.getGroupName() ?? '';
        const group = this.groups.get(name);
        if (!group) return callback(notFound(name));
        group.replayParked();
        callback(null, new persistentPb.ReplayParkedResp());
      },
      restartSubsystem: (_call: unknown, callback: sendUnaryData<InstanceType<typeof sharedPb.Empty>>) => {
        this.restartAll();
        callback(null, new sharedPb.Empty());
      },
      list: (_call: unknown, callback: sendUnaryData<unknown>) => callback(rpcError(status.UNIMPLEMENTED, 'List is not implemented by the test server')),
      read: (call: Consumer['call']) => this.read(call),
    };
  }

  private read(call: Consumer['call']): void {
    let consumer: Consumer | undefined;
    let group: Group | undefined;
    call.on('data', (req: InstanceType<typeof persistentPb.ReadReq>) => {
      if (req.hasOptions()) {
        const o = req.getOptions();
        const name = o?.getGroupName() ?? '';
        group = this.groups.get(name);
        if (!group) {
          call.emit('error', notFound(name));
          return;
        }
        consumer = { id: randomUUID(), call, bufferSize: Math.max(1, o?.getBufferSize() ?? 10), inFlight: new Set() };
        call.write(new persistentPb.ReadResp().setSubscriptionConfirmation(new persistentPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(`$all::${name}`)));
        group.addConsumer(consumer);
        return;
      }
      if (!group) return;
      if (req.hasAck()) group.ack((req.getAck()?.getIdsList() ?? []).map(uuidOf));
      else if (req.hasNack()) {
        const nack = req.getNack();
        group.nack((nack?.getIdsList() ?? []).map(uuidOf), nack?.getAction() ?? 0);
      }
    });
    const gone = (): void => {
      if (group && consumer) group.removeConsumer(consumer);
      consumer = undefined;
    };
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
    call.on('end', () => {
      gone();
      call.end();
    });
  }
}
