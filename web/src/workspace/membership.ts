// Who I am and my role in each workspace (GET /api/auth/me). Roles decide what
// the UI offers (viewers get read-only editors); the server enforces them anyway.
import { api } from '../api/client';
import type { Me, Workspace } from '../api/types';

let cached: Promise<Me> | null = null;

/** The current user's workspaces; `fresh` skips the cache (after creating one, say). */
export function me(fresh = false): Promise<Me> {
  if (fresh || !cached) {
    cached = api.get<Me>('/api/auth/me');
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}

export function forgetMe(): void {
  cached = null;
}

/** The workspace by id or slug, with my role, or an Error with a readable message. */
export async function workspaceOf(ref: string): Promise<Workspace> {
  const find = (m: Me) => m.workspaces.find((w) => w.slug === ref || w.id === ref);
  const found = find(await me()) ?? find(await me(true));
  if (!found) throw new Error('You are not a member of this workspace (or it does not exist).');
  return found;
}
