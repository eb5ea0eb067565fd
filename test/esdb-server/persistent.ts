import { status } from '@grpc/grpc-js';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EventLog } from './log';
import { rpcError } from './wire';

/** Persistent subscriptions to `$all` (next step: not implemented yet; every call answers UNIMPLEMENTED). */
export class PersistentSubscriptions {
  constructor(private readonly log: EventLog) {}

  service(): UntypedServiceImplementation {
    void this.log;
    const unimplemented = (_call: unknown, callback?: (e: Error) => void): void => {
      const error = rpcError(status.UNIMPLEMENTED, 'persistent subscriptions: not implemented by the test server yet');
      if (callback) callback(error);
    };
    return { create: unimplemented, update: unimplemented, delete: unimplemented, read: unimplemented, getInfo: unimplemented, replayParked: unimplemented, list: unimplemented, restartSubsystem: unimplemented };
  }

  close(): void {}
}
