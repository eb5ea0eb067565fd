import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { EventLog } from './log';
import { featuresGrpc, featuresPb, persistentGrpc, streamsGrpc } from './pb';
import { PersistentSubscriptions } from './persistent';
import { streamsService } from './streams';

/**
 * An EventStoreDB test server: the gRPC protocol of `@eventstore/db-client` 6.x on an in-memory log, insecure, on
 * a free 127.0.0.1 port. It implements what Hookbase's adapter (store/esdb) uses — ServerFeatures, Streams
 * Append/BatchAppend/Read (streams, `$all`, filtered `$all` subscriptions with checkpoints) and persistent
 * subscriptions to `$all` — following the KurrentDB/EventStoreDB v24.10 sources where behaviour matters (cited
 * where it is implemented). Test code, not product code: nothing is persisted.
 */

export type EsdbTestServerOptions = Readonly<{
  /** Bytes an append may carry; default 1 MiB, the real server's default (see streams.ts). */
  maxAppendSize?: number;
  /** The version ServerFeatures reports. */
  serverVersion?: string;
}>;

export type EsdbTestServer = Readonly<{
  /** `esdb://127.0.0.1:PORT?tls=false` */
  url: string;
  port: number;
  log: EventLog;
  /** As a server restart does to persistent subscriptions: each group reloads from its checkpoint, consumers dropped. */
  restartPersistentSubscriptions: () => void;
  stop: () => Promise<void>;
}>;

export const DEFAULT_MAX_APPEND_SIZE = 1_024 * 1_024;
export const TEST_SERVER_VERSION = '24.10.0';

/** What the server's ServerFeatures answers: every method implemented here, with the features the client asks about. */
const supportedMethods = (version: string): InstanceType<typeof featuresPb.SupportedMethods> => {
  const method = (service: string, name: string, features: string[] = []) =>
    new featuresPb.SupportedMethod().setServiceName(service).setMethodName(name).setFeaturesList(features);
  const streams = 'event_store.client.streams.streams';
  const persistent = 'event_store.client.persistent_subscriptions.persistentsubscriptions';
  return new featuresPb.SupportedMethods()
    .setEventStoreServerVersion(version)
    .setMethodsList([
      method(streams, 'read', ['position', 'events', 'all']),
      method(streams, 'append'),
      method(streams, 'batchappend'),
      method(streams, 'delete'),
      method(persistent, 'create', ['stream', 'all']),
      method(persistent, 'update', ['stream', 'all']),
      method(persistent, 'read', ['stream', 'all']),
      method(persistent, 'getinfo', ['stream', 'all']),
      method(persistent, 'replayparked', ['stream', 'all']),
      method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
    ]);
};

export const startEsdbTestServer = async (options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> => {
  const log = new EventLog();
  const server = new Server();
  const features: UntypedServiceImplementation = {
    getSupportedMethods: (_call: unknown, callback: sendUnaryData<InstanceType<typeof featuresPb.SupportedMethods>>) =>
      callback(null, supportedMethods(options.serverVersion ?? TEST_SERVER_VERSION)),
  };
  const persistent = new PersistentSubscriptions(log);
  server.addService(featuresGrpc.ServerFeaturesService, features);
  server.addService(streamsGrpc.StreamsService, streamsService(log, { maxAppendSize: options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE, readBatchSize: 32 }));
  server.addService(persistentGrpc.PersistentSubscriptionsService, persistent.service());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  let stopped = false;
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    log,
    restartPersistentSubscriptions: () => persistent.restartAll(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      persistent.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
};
