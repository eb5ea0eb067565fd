/** The portal API's wire shapes (COMPAT.md, "The portal API"). */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface PortalApplication {
  id: string;
  name: string;
  organizationId: string;
}

export interface PortalEndpoint {
  id: string;
  url: string;
  description: string | null;
  isDisabled: boolean;
  circuitState: CircuitState;
  totalMessages: number;
  totalSuccesses: number;
  totalFailures: number;
  isVerified: boolean;
  verifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The create answer carries the signing secret, this once. */
export interface CreatedEndpoint extends PortalEndpoint {
  secret: string;
}

export interface EndpointInput {
  url: string;
  description?: string;
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  isDisabled?: boolean;
}

export interface PortalEventType {
  id: string;
  name: string;
  displayName: string | null;
  description: string | null;
  category: string | null;
}

export interface PortalSubscription {
  id: string;
  endpointId: string;
  eventTypeId: string;
  eventTypeName: string;
  isEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type MessageStatus = 'pending' | 'processing' | 'success' | 'failed' | 'exhausted';

export interface PortalMessage {
  id: string;
  eventType: string;
  endpointId: string;
  endpointUrl: string;
  status: MessageStatus;
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

export interface MessagePage {
  data: PortalMessage[];
  total: number;
  limit: number;
  offset: number;
}

export interface PortalAttempt {
  id: string;
  attemptNumber: number;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  latencyMs: number | null;
  attemptedAt: string;
}

/** One message with its attempts (GET /portal/messages/:id). */
export interface MessageDetail {
  message: PortalMessage;
  attempts: PortalAttempt[];
}

export interface ReplayResult {
  originalMessageId: string;
  newMessageId: string;
  status: string;
}

export interface TestResult {
  success: boolean;
  delivery: {
    status: string;
    responseStatus: number | null;
    responseTimeMs: number | null;
    responseBody: string | null;
    errorMessage: string | null;
  };
}

export interface MessageQuery {
  endpointId?: string;
  status?: MessageStatus;
  limit: number;
  offset: number;
}
