export * from './config';
export * from './dispatcher';
export * from './retrySchedule';
export * from './signing';
export { DISPATCHER_GROUP } from './subscriptionConsumer';
export { deliveryLeases, claimDueDeliveries } from './leases';
