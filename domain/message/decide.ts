import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound } from '../errors';
import type { JsonValue } from '../json';
import type { MessageEvent, MessageState, OutboundRef } from './message';
import { evolveMessage, initialMessageState } from './message';

export type SendMessage = Command<
  'SendMessage',
  { messageId: string; applicationId: string; eventType: string; payload: JsonValue; eventId: string | null; outbound: OutboundRef[] }
>;
export type ResendMessage = Command<'ResendMessage', { messageId: string; outbound: OutboundRef[] }>;

export type MessageCommand = SendMessage | ResendMessage;

export const decideMessage = (command: MessageCommand, state: MessageState): MessageEvent[] => {
  const now = command.metadata.now;
  switch (command.type) {
    case 'SendMessage': {
      if (state.status !== 'empty') throw conflict('message_exists', `Message ${command.data.messageId} already exists.`);
      const d = command.data;
      return [
        {
          type: 'MessageSent',
          data: { messageId: d.messageId, applicationId: d.applicationId, eventType: d.eventType, payload: d.payload, eventId: d.eventId, timestamp: now, outbound: d.outbound },
        },
      ];
    }
    case 'ResendMessage': {
      if (state.status !== 'sent') throw notFound('message', command.data.messageId);
      const m = state.message;
      return [{ type: 'MessageResent', data: { messageId: m.id, applicationId: m.applicationId, eventType: m.eventType, outbound: command.data.outbound, resentAt: now } }];
    }
    default:
      return assertNever(command);
  }
};

export const messageDecider: Decider<MessageState, MessageCommand, MessageEvent> = {
  decide: decideMessage,
  evolve: evolveMessage,
  initialState: initialMessageState,
};

/** Canonical JSON (sorted keys) so that "the same payload" does not depend on key order. */
export const canonicalJson = (value: JsonValue): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
};

export const samePayload = (a: JsonValue, b: JsonValue): boolean => canonicalJson(a) === canonicalJson(b);
