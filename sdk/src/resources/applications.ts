import type { Transport } from '../http.js';
import { PageIterator } from '../pagination.js';
import type {
  Application,
  ApplicationGetOrCreateIn,
  ApplicationIn,
  ApplicationPatch,
  ListResponse,
  PageQuery,
} from '../types.js';

export class Applications {
  constructor(private readonly http: Transport) {}

  /** 409 `ConflictError` if `uid` is taken; see `getOrCreate` to make this idempotent. */
  create(body: ApplicationIn): Promise<Application> {
    return this.http.request('v1.application.create', { body });
  }

  get(appId: string): Promise<Application> {
    return this.http.request('v1.application.get', { path: { appId } });
  }

  /** The application you created with `uid` (your own id for the customer). */
  getByUid(uid: string): Promise<Application> {
    return this.http.request('v1.application.getByUid', { path: { uid } });
  }

  /** The application with this `uid`, created with `body` if there is none yet. */
  getOrCreate(uid: string, body: ApplicationGetOrCreateIn): Promise<Application> {
    return this.http.request('v1.application.getOrCreate', { path: { uid }, body });
  }

  list(query?: PageQuery): Promise<ListResponse<Application>> {
    return this.http.request('v1.application.list', { query });
  }

  listAll(query: Omit<PageQuery, 'cursor'> = {}): PageIterator<Application> {
    return new PageIterator((cursor) => this.list({ limit: 100, ...query, cursor }));
  }

  update(appId: string, body: ApplicationPatch): Promise<Application> {
    return this.http.request('v1.application.update', { path: { appId }, body });
  }

  /** Its endpoints stop receiving. */
  delete(appId: string): Promise<void> {
    return this.http.request('v1.application.delete', { path: { appId } });
  }
}
