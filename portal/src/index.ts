import './styles.css';

export { HookbasePortal } from './components/HookbasePortal';
export type { HookbasePortalProps, PortalTheme } from './components/HookbasePortal';
export { EndpointList } from './components/EndpointList';
export type { EndpointListProps } from './components/EndpointList';
export { EndpointForm } from './components/EndpointForm';
export type { EndpointFormProps } from './components/EndpointForm';
export { EndpointSecretRotation } from './components/EndpointSecretRotation';
export type { EndpointSecretRotationProps } from './components/EndpointSecretRotation';
export { SubscriptionManager } from './components/SubscriptionManager';
export type { SubscriptionManagerProps } from './components/SubscriptionManager';
export { EventTypeList } from './components/EventTypeList';
export { MessageLog } from './components/MessageLog';
export type { MessageLogProps } from './components/MessageLog';
export { EndpointHealth } from './components/EndpointHealth';
export type { EndpointHealthProps } from './components/EndpointHealth';
export { EndpointDetail } from './components/EndpointDetail';
export { EndpointTest } from './components/EndpointTest';
export { PortalLayout } from './components/PortalLayout';

export { useApplication } from './hooks/useApplication';
export { useEndpoints } from './hooks/useEndpoints';
export { useEndpoint } from './hooks/useEndpoint';
export { useEventTypes } from './hooks/useEventTypes';
export { useSubscriptions } from './hooks/useSubscriptions';
export { useMessages } from './hooks/useMessages';
export type { UseMessagesOptions } from './hooks/useMessages';
export { useTestEndpoint } from './hooks/useTestEndpoint';
export { useReplay } from './hooks/useReplay';

export { PortalApiError, PortalClient } from './api/client';
export type * from './api/types';
