import { applicationsProjection, eventTypesProjection } from './applications';
import { credentialsProjection } from './credentials';
import { endpointsProjection } from './endpoints';
import { inboundConfigProjection, inboundTrafficProjection } from './inbound';
import { attemptsProjection, dueDeliveriesProjection, messagesProjection, outboundProjection } from './messages';
import type { Projection } from './projection';
import { subscriptionsProjection } from './subscriptions';

export const allProjections: readonly Projection[] = [
  applicationsProjection,
  eventTypesProjection,
  endpointsProjection,
  messagesProjection,
  outboundProjection,
  attemptsProjection,
  dueDeliveriesProjection,
  credentialsProjection,
  subscriptionsProjection,
  inboundConfigProjection,
  inboundTrafficProjection,
];

export * from './projection';
export * from './readModels';
export * from './runner';
