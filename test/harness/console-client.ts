/** A browser-like client for the console: keeps its cookie, reads each page's CSRF token, never follows redirects. */
export interface ConsolePage {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
  /** Where a redirect points (the Location header). */
  readonly location: string | null;
}

export interface ConsoleClient {
  /** The console cookie's value, if the server set one (undefined after it was cleared). */
  readonly cookie: () => string | undefined;
  /** The CSRF token of the last page fetched that had a form. */
  readonly csrf: () => string | undefined;
  get(path: string, headers?: Record<string, string>): Promise<ConsolePage>;
  /** Posts a form; adds the last seen CSRF token unless `fields` has its own `csrf` (null: send none). */
  post(
    path: string,
    fields: Record<string, string | null>,
    headers?: Record<string, string>,
  ): Promise<ConsolePage>;
  /** GET /ui/login, then POST it with the token and name. */
  login(token: string, name?: string): Promise<ConsolePage>;
}

export function consoleClient(baseUrl: string, cookieName = 'remediator_console'): ConsoleClient {
  let cookie: string | undefined;
  let csrf: string | undefined;
  const send = async (path: string, init: RequestInit): Promise<ConsolePage> => {
    const headers = new Headers(init.headers);
    if (cookie !== undefined) headers.set('cookie', `${cookieName}=${cookie}`);
    const res = await fetch(baseUrl + path, { ...init, headers, redirect: 'manual' });
    const set = res.headers.get('set-cookie');
    const match = set === null ? null : new RegExp(`^${cookieName}=([^;]*);.*?Max-Age=(\\d+)`).exec(set);
    if (match) cookie = match[2] === '0' ? undefined : match[1];
    const text = await res.text();
    const token = /name="csrf" value="([^"]+)"/.exec(text);
    if (token) csrf = token[1];
    return { status: res.status, text, headers: res.headers, location: res.headers.get('location') };
  };
  const client: ConsoleClient = {
    cookie: () => cookie,
    csrf: () => csrf,
    get: (path, headers = {}) => send(path, { method: 'GET', headers }),
    post(path, fields, headers = {}) {
      const body = new URLSearchParams();
      const all = 'csrf' in fields ? fields : { csrf: csrf ?? null, ...fields };
      for (const [name, value] of Object.entries(all)) if (value !== null) body.set(name, value);
      return send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: body.toString(),
      });
    },
    async login(token, name = 'tester') {
      await client.get('/ui/login');
      return client.post('/ui/login', { token, name });
    },
  };
  return client;
}

/** The body rows of a page's card tables as column label -> cell text (tags stripped, entities kept). */
export function tableRows(html: string): Array<Record<string, string>> {
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map(([, row]) =>
      Object.fromEntries(
        [...row!.matchAll(/<td data-label="([^"]*)">([\s\S]*?)<\/td>/g)].map(([, label, cell]) => [
          label!,
          cell!
            .replace(/<[^>]*>/g, '')
            .replace(/\s+/g, ' ')
            .trim(),
        ]),
      ),
    )
    .filter((row) => Object.keys(row).length > 0);
}
