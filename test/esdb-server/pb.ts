import { createRequire } from 'node:module';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb';
import type * as StreamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb';
import type * as PersistentPb from '@eventstore/db-client/generated/persistent_pb';
import type * as PersistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb';
import type * as FeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb';
import type * as FeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb';
import type * as StatusPb from '@eventstore/db-client/generated/status_pb';
import type * as AnyPb from 'google-protobuf/google/protobuf/any_pb';
import type * as EmptyPb from 'google-protobuf/google/protobuf/empty_pb';

/**
 * The service definitions and message classes `@eventstore/db-client` itself ships (its `generated/` folder),
 * loaded as CommonJS (they are not ES modules), typed by the declarations beside them. The test server speaks
 * exactly the protocol of the client it serves.
 */
const require = createRequire(import.meta.url);
const generated = <T>(name: string): T => require(`@eventstore/db-client/generated/${name}`) as T;

export const streamsPb = generated<typeof StreamsPb>('streams_pb');
export const streamsGrpc = generated<typeof StreamsGrpc>('streams_grpc_pb');
export const persistentPb = generated<typeof PersistentPb>('persistent_pb');
export const persistentGrpc = generated<typeof PersistentGrpc>('persistent_grpc_pb');
export const featuresPb = generated<typeof FeaturesPb>('serverfeatures_pb');
export const featuresGrpc = generated<typeof FeaturesGrpc>('serverfeatures_grpc_pb');
export const sharedPb = generated<typeof SharedPb>('shared_pb');
export const statusPb = generated<typeof StatusPb>('status_pb');
export const anyPb = require('google-protobuf/google/protobuf/any_pb') as typeof AnyPb;
export const emptyPb = require('google-protobuf/google/protobuf/empty_pb') as typeof EmptyPb;
