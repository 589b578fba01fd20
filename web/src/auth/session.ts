// The signed-in session: tokens kept in localStorage (so a reload stays signed
// in), refreshed silently before the access token expires, and shared by every
// tab. Refresh tokens rotate and presenting a used one revokes the whole
// family, so refreshes are serialised across tabs with a Web Lock and a tab
// adopts the pair another tab already obtained instead of refreshing again.
import { ApiError, request, useTokens } from '../api/client';
import type { AuthResponse, User } from '../api/types';

const STORAGE_KEY = 'rocqet.session';
/** Refresh this long before expiry, so a request never carries a dying token. */
const REFRESH_MARGIN_MS = 60_000;
/** Never schedule refreshes closer than this (short test lifetimes, clock skew). */
const MIN_REFRESH_DELAY_MS = 5_000;

interface Stored {
  user: User;
  access_token: string;
  refresh_token: string;
  /** Epoch ms when the access token expires. */
  expires_at: number;
}

type Listener = (user: User | null) => void;

function read(): Stored | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function write(s: Stored | null): void {
  if (s) localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  else localStorage.removeItem(STORAGE_KEY);
}

function fromAuth(a: AuthResponse): Stored {
  return { user: a.user, access_token: a.access_token, refresh_token: a.refresh_token, expires_at: Date.now() + a.expires_in * 1000 };
}

class Session {
  private current: Stored | null = read();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<boolean> | null = null;
  private listeners = new Set<Listener>();
  private tokenListeners = new Set<(token: string) => void>();

  constructor() {
    // Another tab signed in, out, or refreshed: follow it.
    window.addEventListener('storage', (e) => {
      if (e.key !== STORAGE_KEY) return;
      const had = this.current?.user.id ?? null;
      this.current = read();
      this.schedule();
      if (this.current) this.tokenListeners.forEach((l) => l(this.current!.access_token));
      if ((this.current?.user.id ?? null) !== had) this.listeners.forEach((l) => l(this.user));
    });
    this.schedule();
  }

  get user(): User | null {
    return this.current?.user ?? null;
  }

  /** Called with the signed-in user (or null) whenever that changes. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with each new access token (sockets reconnect with it). */
  onToken(listener: (token: string) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  async login(email: string, password: string): Promise<void> {
    this.adopt(fromAuth(await request<AuthResponse>('POST', '/api/auth/login', { email, password }, { auth: false })));
  }

  async register(name: string, email: string, password: string): Promise<void> {
    this.adopt(fromAuth(await request<AuthResponse>('POST', '/api/auth/register', { name, email, password }, { auth: false })));
  }

  async logout(): Promise<void> {
    const s = this.current;
    this.adopt(null);
    if (s) {
      // Best effort: the local session is gone either way.
      await request('POST', '/api/auth/logout', { refresh_token: s.refresh_token }, { auth: false }).catch(() => undefined);
    }
  }

  /** A usable access token, refreshing first when it is about to expire. */
  async token(): Promise<string | null> {
    if (!this.current) return null;
    if (this.current.expires_at - Date.now() < REFRESH_MARGIN_MS / 2) await this.refresh();
    return this.current?.access_token ?? null;
  }

  /** Gets a new token pair; false (and signed out) when the session is over. */
  refresh(): Promise<boolean> {
    if (!this.inflight) {
      this.inflight = this.refreshLocked().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async refreshLocked(): Promise<boolean> {
    const run = () => this.refreshNow();
    if (navigator.locks) return navigator.locks.request('rocqet-refresh', run);
    return run();
  }

  private async refreshNow(): Promise<boolean> {
    const mine = this.current;
    const stored = read();
    if (!stored) {
      this.adopt(null);
      return false;
    }
    if (mine && stored.refresh_token !== mine.refresh_token && stored.expires_at - Date.now() > REFRESH_MARGIN_MS / 2) {
      // Another tab refreshed while we waited for the lock.
      this.adopt(stored);
      return true;
    }
    try {
      const fresh = await request<AuthResponse>('POST', '/api/auth/refresh', { refresh_token: stored.refresh_token }, { auth: false });
      this.adopt(fromAuth(fresh));
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        this.adopt(null);
        return false;
      }
      // Offline or the server restarting: keep the session and try again later.
      this.schedule(MIN_REFRESH_DELAY_MS);
      return false;
    }
  }

  private adopt(s: Stored | null): void {
    const had = this.current?.user.id ?? null;
    this.current = s;
    write(s);
    this.schedule();
    if (s) this.tokenListeners.forEach((l) => l(s.access_token));
    if ((s?.user.id ?? null) !== had) this.listeners.forEach((l) => l(this.user));
  }

  private schedule(delay?: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.current) return;
    const wait = delay ?? Math.max(MIN_REFRESH_DELAY_MS, this.current.expires_at - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => void this.refresh(), wait);
  }
}

export const session = new Session();

useTokens({
  token: () => session.token(),
  refreshAfter401: () => session.refresh(),
});
