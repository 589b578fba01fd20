// The REST shapes this client reads (API.md; GET /api/openapi.json is exact).
import type { Json } from '../schema';

export type Role = 'owner' | 'admin' | 'editor' | 'viewer';
export const ROLES: Role[] = ['owner', 'admin', 'editor', 'viewer'];

export function canEdit(role: Role): boolean {
  return role !== 'viewer';
}

export function canManageMembers(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface AuthResponse {
  user: User;
  access_token: string;
  refresh_token: string;
  /** Seconds. */
  expires_in: number;
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  role: Role;
}

export interface Me {
  user: User;
  workspaces: Workspace[];
}

export interface Member {
  user_id: string | null;
  email: string;
  name: string | null;
  role: Role;
  status: string;
  created_at: string;
}

export type DocKind = 'prompt' | 'model';
export type DocPlural = 'prompts' | 'models';

export function plural(kind: DocKind): DocPlural {
  return kind === 'prompt' ? 'prompts' : 'models';
}

export interface VariableJson {
  name: string;
  description: string;
  default: string | null;
  required: boolean;
}

export interface DocumentJson {
  id: string;
  workspace_id: string;
  kind: DocKind;
  version: number | null;
  created_at: string;
  updated_at: string;
  // prompt
  title?: string;
  description?: string;
  tags?: string[];
  content?: string;
  variables?: VariableJson[];
  settings?: Record<string, Json>;
  // model
  name?: string;
  fields?: { id: string; name: string; type: string; required: boolean; unique: boolean; default: Json; enum_values: string[]; description: string }[];
  relations?: { id: string; name: string; kind: string; target: string }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface VersionUser {
  id: string;
  name: string | null;
}

export interface Version {
  number: number;
  kind: 'auto' | 'manual' | 'restore';
  message: string | null;
  labels: string[];
  author: VersionUser | null;
  created_at: string;
  restored_from: number | null;
}

export interface RenderResult {
  text: string;
  missing: string[];
}
