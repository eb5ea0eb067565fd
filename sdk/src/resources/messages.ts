import type { Receipt } from '../audit/receipt.js';
import type { Transport } from '../http.js';
import { PageIterator } from '../pagination.js';
import type {
  ListResponse,
  Message,
  MessageAttempt,
  MessageHistory,
  MessageIn,
  MessageListQuery,
  OutboundFilter,
  OutboundListQuery,
  OutboundMessage,
  PageQuery,
  ResendOut,
} from '../types.js';

export class Messages {
  constructor(private readonly http: Transport) {}

  /** Fans the event out to every subscribed endpoint. Pass `eventId` so a repeat delivers nothing. */
  send(appId: string, body: MessageIn): Promise<Message> {
    return this.http.request('v1.message.send', { path: { appId }, body });
  }

  get(appId: string, messageId: string): Promise<Message> {
    return this.http.request('v1.message.get', { path: { appId, messageId } });
  }

  list(appId: string, query?: MessageListQuery): Promise<ListResponse<Message>> {
    return this.http.request('v1.message.list', { path: { appId }, query });
  }

  listAll(appId: string, query: Omit<MessageListQuery, 'cursor'> = {}): PageIterator<Message> {
    return new PageIterator((cursor) => this.list(appId, { limit: 100, ...query, cursor }));
  }

  /** New deliveries to the endpoints subscribed now. */
  resend(appId: string, messageId: string): Promise<ResendOut> {
    return this.http.request('v1.message.resend', { path: { appId, messageId } });
  }

  /** Every event of the message and its deliveries, from the event store, in commit order. */
  history(appId: string, messageId: string): Promise<MessageHistory> {
    return this.http.request('v1.message.history', { path: { appId, messageId } });
  }

  listOutbound(appId: string, query?: OutboundListQuery): Promise<ListResponse<OutboundMessage>> {
    return this.http.request('v1.outbound.list', { path: { appId }, query });
  }

  /** e.g. `const { data: failures } = await hookbase.messages.listAllOutbound(appId, { status: 'exhausted' })` */
  listAllOutbound(
    appId: string,
    filter: OutboundFilter & Omit<PageQuery, 'cursor'> = {},
  ): PageIterator<OutboundMessage> {
    return new PageIterator((cursor) => this.listOutbound(appId, { limit: 100, ...filter, cursor }));
  }

  getOutbound(appId: string, outboundId: string): Promise<OutboundMessage> {
    return this.http.request('v1.outbound.get', { path: { appId, outboundId } });
  }

  listAttempts(appId: string, outboundId: string, query?: PageQuery): Promise<ListResponse<MessageAttempt>> {
    return this.http.request('v1.outbound.listAttempts', { path: { appId, outboundId }, query });
  }

  /**
   * A signed delivery receipt of one attempt (`attempt`), or of every attempt so far: verify it offline with
   * `verifyReceipt(receipt, publicKey)` against the deployment's public key (docs/audit.md).
   */
  receipt(appId: string, outboundId: string, options: { attempt?: number } = {}): Promise<Receipt> {
    return this.http.request('v1.outbound.receipt', { path: { appId, outboundId }, query: options.attempt === undefined ? undefined : { attempt: options.attempt } });
  }

  /** Runs an attempt now, whatever the delivery's status. */
  async retry(appId: string, outboundId: string): Promise<void> {
    await this.http.request('v1.outbound.retry', { path: { appId, outboundId } });
  }
}
