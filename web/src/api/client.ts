// REST calls: JSON in and out, the bearer token, one silent retry after a
// token refresh, and every failure as an ApiError carrying the server's own
// message (`{"error":{"code","message","details"}}`) to show to people.

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Per-field messages of a VALIDATION_FAILED answer. */
  get fieldErrors(): FieldError[] {
    return Array.isArray(this.details) ? (this.details as FieldError[]) : [];
  }
}

/** Where requests get their token; wired up by auth/session.ts. */
export interface TokenSource {
  /** A current access token, or null when signed out. */
  token(): Promise<string | null>;
  /** Called after a 401; true when a new token is available for a retry. */
  refreshAfter401(): Promise<boolean>;
}

let tokens: TokenSource | null = null;

export function useTokens(source: TokenSource): void {
  tokens = source;
}

async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const e = body?.error;
    if (e && typeof e.message === 'string') {
      const fields = Array.isArray(e.details) ? (e.details as FieldError[]) : [];
      // A validation failure's summary alone rarely says what to fix.
      const message = fields.length > 0 ? `${e.message}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}` : e.message;
      return new ApiError(response.status, String(e.code ?? 'ERROR'), message, e.details);
    }
  } catch {
    // Not our JSON error body (a proxy page, say): fall through.
  }
  return new ApiError(response.status, 'HTTP_ERROR', `The server answered ${response.status} ${response.statusText}`.trim());
}

export interface RequestOptions {
  /** Send the bearer token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

/** One JSON request; resolves to the parsed body (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && tokens) {
      const token = await tokens.token();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    try {
      return await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'NETWORK', 'Cannot reach the server. Check your connection and try again.');
    }
  };
  let response = await send();
  if (response.status === 401 && auth && tokens && (await tokens.refreshAfter401())) {
    response = await send();
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** `?a=1&b=2` from the defined entries (empty string when none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
