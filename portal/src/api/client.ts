import type {
  CreatedEndpoint,
  EndpointInput,
  EndpointPatch,
  MessageDetail,
  MessagePage,
  MessageQuery,
  PortalApplication,
  PortalAttempt,
  PortalEndpoint,
  PortalEventType,
  PortalMessage,
  PortalSubscription,
  ReplayResult,
  TestResult,
} from './types';

/** An answer other than 2xx, with the server's `code` (e.g. `token_expired`) and `message`. */
export class PortalApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    /** Validation failures by field (`details.fieldErrors`), e.g. `{url: ['must be an https URL']}`. */
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = 'PortalApiError';
  }

  /** 401: the token expired, was revoked or is not a token at all; nothing on the page can work any more. */
  get isAuthError(): boolean {
    return this.status === 401;
  }
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const unwrap = <T>(body: unknown): T => (isRecord(body) && 'data' in body ? body.data : body) as T;

/** The attempts of GET /portal/messages/:id: `deliveryAttempts` in `data` (older servers: a list beside it). */
const toDetail = (body: unknown): MessageDetail => {
  const data = unwrap<Json>(body);
  const listed = [data.deliveryAttempts, data.attemptList, data.attempts, isRecord(body) ? body.attempts : undefined].find(Array.isArray);
  const attempts = ((listed ?? []) as PortalAttempt[]).slice().sort((a, b) => a.attemptNumber - b.attemptNumber);
  const count = typeof data.attempts === 'number' ? data.attempts : attempts.length;
  return { message: { ...(data as unknown as PortalMessage), attempts: count }, attempts };
};

/** Speaks the portal API (COMPAT.md) with a portal token; one instance per <HookbasePortal>. */
export class PortalClient {
  private readonly base: string;

  constructor(
    private readonly token: string,
    apiUrl: string,
  ) {
    this.base = apiUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new PortalApiError('Could not reach the webhook service. Check your connection and try again.', 0, 'network_error');
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = isRecord(parsed) ? parsed : {};
      const nested = isRecord(err.error) ? err.error : {};
      const message = [err.message, nested.message, err.error].find((m): m is string => typeof m === 'string') ?? `Request failed (${res.status})`;
      const code = [err.code, nested.code].find((c): c is string => typeof c === 'string') ?? null;
      const details = isRecord(err.details) ? err.details : {};
      const fields = [details.fieldErrors, err.validationErrors].find(isRecord) ?? {};
      const fieldErrors = Object.fromEntries(
        Object.entries(fields).map(([field, list]) => [field, (Array.isArray(list) ? list : [list]).map(String)]),
      );
      throw new PortalApiError(message, res.status, code, fieldErrors);
    }
    return parsed as T;
  }

  application = async (): Promise<PortalApplication> => unwrap(await this.call('GET', '/portal/application'));
  endpoints = async (): Promise<PortalEndpoint[]> => unwrap(await this.call('GET', '/portal/endpoints'));
  endpoint = async (id: string): Promise<PortalEndpoint> => unwrap(await this.call('GET', `/portal/endpoints/${encodeURIComponent(id)}`));
  createEndpoint = async (input: EndpointInput): Promise<CreatedEndpoint> => unwrap(await this.call('POST', '/portal/endpoints', input));
  updateEndpoint = async (id: string, patch: EndpointPatch): Promise<PortalEndpoint> =>
    unwrap(await this.call('PATCH', `/portal/endpoints/${encodeURIComponent(id)}`, patch));
  deleteEndpoint = async (id: string): Promise<void> => {
    await this.call('DELETE', `/portal/endpoints/${encodeURIComponent(id)}`);
  };
  rotateSecret = async (id: string): Promise<string> =>
    unwrap<{ secret: string }>(await this.call('POST', `/portal/endpoints/${encodeURIComponent(id)}/rotate-secret`, {})).secret;
  testEndpoint = async (id: string, eventType?: string): Promise<TestResult> =>
    this.call('POST', `/portal/endpoints/${encodeURIComponent(id)}/test`, eventType ? { eventType } : {});
  eventTypes = async (): Promise<PortalEventType[]> => unwrap(await this.call('GET', '/portal/event-types'));
  subscriptions = async (endpointId: string): Promise<PortalSubscription[]> =>
    unwrap(await this.call('GET', `/portal/subscriptions?endpointId=${encodeURIComponent(endpointId)}`));
  subscribe = async (endpointId: string, eventTypeId: string): Promise<PortalSubscription> =>
    unwrap(await this.call('POST', '/portal/subscriptions', { endpointId, eventTypeId }));
  unsubscribe = async (subscriptionId: string): Promise<void> => {
    await this.call('DELETE', `/portal/subscriptions/${encodeURIComponent(subscriptionId)}`);
  };
  messages = async (query: MessageQuery): Promise<MessagePage> => {
    const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
    if (query.endpointId) params.set('endpointId', query.endpointId);
    if (query.status) params.set('status', query.status);
    const page = await this.call<Partial<MessagePage>>('GET', `/portal/messages?${params.toString()}`);
    return { data: (page.data ?? []) as PortalMessage[], total: page.total ?? 0, limit: page.limit ?? query.limit, offset: page.offset ?? query.offset };
  };
  message = async (id: string): Promise<MessageDetail> => toDetail(await this.call('GET', `/portal/messages/${encodeURIComponent(id)}`));
  /**
   * The signed receipt of one attempt, as the file to save: JSON with the server's member order (the body hash a
   * verifier recomputes depends on it). Verify it with the SDK's `verifyReceipt` or `hookbase audit verify-receipt`.
   */
  receipt = async (id: string, attemptNumber: number): Promise<string> =>
    `${JSON.stringify(unwrap(await this.call('GET', `/portal/messages/${encodeURIComponent(id)}/attempts/${attemptNumber}/receipt`)))}\n`;
  replay = async (id: string): Promise<ReplayResult> => unwrap(await this.call('POST', `/portal/messages/${encodeURIComponent(id)}/replay`, {}));
}
