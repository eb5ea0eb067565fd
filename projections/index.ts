import { applicationsProjection, eventTypesProjection } from './applications';
import { credentialsProjection } from './credentials';
import { endpointsProjection } from './endpoints';
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
];

export * from './projection';
export * from './readModels';
export * from './runner';
