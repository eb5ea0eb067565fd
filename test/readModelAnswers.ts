import type { TestHookbase } from './harness';

type Listed = { data: Record<string, unknown>[]; nextCursor?: string | null; hasMore?: boolean };

/** Every item of a /v1 list, page after page. */
export const listAll = async (hb: TestHookbase, path: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null | undefined = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await hb.request('GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    const page = res.body as Listed;
    items.push(...page.data);
    cursor = page.hasMore ? page.nextCursor : null;
  } while (cursor);
  return items;
};

export type AppAnswers = Readonly<{
  application: unknown;
  endpoints: Record<string, unknown>[];
  messages: Record<string, unknown>[];
  outbound: Record<string, unknown>[];
}>;

/** What the API answers about one application, from its read models. */
export const appAnswers = async (hb: TestHookbase, appId: string): Promise<AppAnswers> => {
  const app = await hb.request('GET', `/v1/applications/${appId}`);
  if (app.status !== 200) throw new Error(`GET application: ${app.status}`);
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id));
  return {
    application: app.body,
    endpoints: (await listAll(hb, `/v1/applications/${appId}/endpoints`)).sort(byId),
    messages: (await listAll(hb, `/v1/applications/${appId}/messages`)).sort(byId),
    outbound: (await listAll(hb, `/v1/applications/${appId}/outbound`)).sort(byId),
  };
};
