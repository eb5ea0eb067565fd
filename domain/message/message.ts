import type { Event } from '../decider.js';
import type { JsonObject, JsonValue } from '../json.js';

/** One delivery fanned out at send time: the endpoint's URL and attempt budget are fixed then. */
export type OutboundRef = { outboundId: string; endpointId: string; endpointUrl: string; maxAttempts: number };

export type MessageSent = Event<
  'MessageSent',
  {
    messageId: string;
    applicationId: string;
    eventType: string;
    payload: JsonValue;
    eventId: string | null;
    timestamp: string;
    outbound: OutboundRef[];
  }
>;
export type MessageResent = Event<
  'MessageResent',
  { messageId: string; applicationId: string; eventType: string; outbound: OutboundRef[]; resentAt: string }
>;

export type MessageEvent = MessageSent | MessageResent;

export type Message = Readonly<{
  id: string;
  applicationId: string;
  eventType: string;
  payload: JsonValue;
  eventId: string | null;
  timestamp: string;
  outbound: readonly OutboundRef[];
}>;

export type MessageState = Readonly<{ status: 'empty' }> | Readonly<{ status: 'sent'; message: Message }>;

export const initialMessageState = (): MessageState => ({ status: 'empty' });

export const evolveMessage = (state: MessageState, event: MessageEvent): MessageState => {
  switch (event.type) {
    case 'MessageSent': {
      const { messageId, ...rest } = event.data;
      return { status: 'sent', message: { id: messageId, ...rest } };
    }
    case 'MessageResent':
      if (state.status !== 'sent') return state;
      return { status: 'sent', message: { ...state.message, outbound: [...state.message.outbound, ...event.data.outbound] } };
    default: {
      const never: never = event;
      return never;
    }
  }
};

/** The wire body of a webhook (API.md): stable across retries, so its signature is reproducible. */
export const webhookBody = (message: Pick<Message, 'id' | 'eventType' | 'payload' | 'timestamp'>): string =>
  JSON.stringify({ type: message.eventType, data: message.payload, timestamp: message.timestamp, webhookId: message.id } satisfies JsonObject);
