import { applicationsProjection, eventTypesProjection } from './applications';
import { credentialsProjection } from './credentials';
import { endpointsProjection } from './endpoints';
import { attemptsProjection, dueDeliveriesProjection, messagesProjection, outboundProjection } from './messages';
import type { Projection } from './projection';

export const allProjections: readonly Projection[] = [
  applicationsProjection,
  eventTypesProjection,
  endpointsProjection,
  messagesProjection,
  outboundProjection,
  attemptsProjection,
  dueDeliveriesProjection,
  credentialsProjection,
];

export * from './projection';
export * from './readModels';
export * from './runner';
