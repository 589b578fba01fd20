// The names and value shapes inside a Rocqet document: the TypeScript mirror of
// crdt/src/schema.rs (and the read rules of crdt/src/prompt.rs, model.rs and
// collection.rs). A rename here without the Rust side breaks stored documents,
// so every other module reads and writes the Y.Doc only through this one.
import * as Y from 'yjs';

export const ROOT_CONTENT = 'content';
export const ROOT_META = 'meta';
export const ROOT_VARIABLES = 'variables';
export const ROOT_FIELDS = 'fields';
export const ROOT_RELATIONS = 'relations';

export const META_TITLE = 'title';
export const META_DESCRIPTION = 'description';
/** One plain array of strings, replaced as a whole (last writer wins). */
export const META_TAGS = 'tags';
/** A nested Y.Map key → JSON value, created lazily (see `settingsForWrite`). */
export const META_SETTINGS = 'settings';
export const META_NAME = 'name';

export const VAR_DESCRIPTION = 'description';
export const VAR_DEFAULT = 'default';
export const VAR_REQUIRED = 'required';
/** A declared variable without `required` is required, like an undeclared placeholder. */
export const DEFAULT_REQUIRED = true;

export const FIELD_NAME = 'name';
export const FIELD_TYPE = 'type';
export const FIELD_REQUIRED = 'required';
export const FIELD_UNIQUE = 'unique';
export const FIELD_DEFAULT = 'default';
export const FIELD_ENUM_VALUES = 'enum_values';
export const FIELD_DESCRIPTION = 'description';

export const RELATION_NAME = 'name';
export const RELATION_KIND = 'kind';
export const RELATION_TARGET = 'target';

/** Fractional-index sort key (string) of a field or relation; see model/position.ts. */
export const POSITION = 'position';

export const FIELD_TYPES = [
  'string', 'text', 'integer', 'number', 'boolean', 'date', 'datetime', 'enum', 'json', 'uuid',
] as const;
export const RELATION_KINDS = ['one_to_one', 'one_to_many', 'many_to_many'] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PromptRoots {
  content: Y.Text;
  meta: Y.Map<unknown>;
  variables: Y.Map<unknown>;
}

export interface ModelRoots {
  meta: Y.Map<unknown>;
  fields: Y.Map<unknown>;
  relations: Y.Map<unknown>;
}

export function promptRoots(doc: Y.Doc): PromptRoots {
  return {
    content: doc.getText(ROOT_CONTENT),
    meta: doc.getMap(ROOT_META),
    variables: doc.getMap(ROOT_VARIABLES),
  };
}

export function modelRoots(doc: Y.Doc): ModelRoots {
  return {
    meta: doc.getMap(ROOT_META),
    fields: doc.getMap(ROOT_FIELDS),
    relations: doc.getMap(ROOT_RELATIONS),
  };
}

/** The string under `key`, or '' when missing or of another type (as the server reads it). */
export function readString(map: Y.Map<unknown>, key: string): string {
  const v = map.get(key);
  return typeof v === 'string' ? v : '';
}

export function readBool(map: Y.Map<unknown>, key: string, fallback: boolean): boolean {
  const v = map.get(key);
  return typeof v === 'boolean' ? v : fallback;
}

/** Tags: the strings of the plain array; anything else reads as none. */
export function readTags(meta: Y.Map<unknown>): string[] {
  const v = meta.get(META_TAGS);
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
}

/** Settings as a plain object; tolerates a peer that stored one plain object. */
export function readSettings(meta: Y.Map<unknown>): Record<string, Json> {
  const v = meta.get(META_SETTINGS);
  if (v instanceof Y.Map) return v.toJSON() as Record<string, Json>;
  if (v && typeof v === 'object' && !Array.isArray(v)) return { ...(v as Record<string, Json>) };
  return {};
}

/**
 * The settings map to write into, created on first write only: two peers
 * creating it up front would race and one peer's whole map would be lost
 * (the Rust side does the same). A plain object left by a peer seeds it.
 */
export function settingsForWrite(meta: Y.Map<unknown>): Y.Map<Json> {
  const v = meta.get(META_SETTINGS);
  if (v instanceof Y.Map) return v as Y.Map<Json>;
  const seed = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, Json>) : [];
  const map = new Y.Map<Json>(seed);
  meta.set(META_SETTINGS, map);
  return map;
}

export interface Variable {
  name: string;
  description: string;
  default: string | null;
  required: boolean;
}

/** A declared variable's props, with the server's defaults for missing ones. */
export function readVariable(variables: Y.Map<unknown>, name: string): Variable {
  const m = variables.get(name);
  if (!(m instanceof Y.Map)) return { name, description: '', default: null, required: DEFAULT_REQUIRED };
  const d = m.get(VAR_DEFAULT);
  return {
    name,
    description: readString(m, VAR_DESCRIPTION),
    default: typeof d === 'string' ? d : null,
    required: readBool(m, VAR_REQUIRED, DEFAULT_REQUIRED),
  };
}

/** The variable's map, created with every prop (as the server creates one) if missing. */
export function variableForWrite(variables: Y.Map<unknown>, name: string): Y.Map<unknown> {
  const m = variables.get(name);
  if (m instanceof Y.Map) return m;
  const created = new Y.Map<unknown>([
    [VAR_DESCRIPTION, ''],
    [VAR_DEFAULT, null],
    [VAR_REQUIRED, DEFAULT_REQUIRED],
  ]);
  variables.set(name, created);
  return created;
}

export type FieldType = (typeof FIELD_TYPES)[number];
export type RelationKind = (typeof RELATION_KINDS)[number];

export interface Field {
  id: string;
  name: string;
  type: string;
  required: boolean;
  unique: boolean;
  default: Json;
  enum_values: string[];
  description: string;
  position: string;
}

export interface Relation {
  id: string;
  name: string;
  kind: string;
  target: string;
  position: string;
}

function readPosition(m: Y.Map<unknown>): string {
  return readString(m, POSITION);
}

/** A field with collection.rs's fallbacks for missing or mistyped props. */
export function readField(id: string, m: Y.Map<unknown>): Field {
  const type = m.get(FIELD_TYPE);
  const enumValues = m.get(FIELD_ENUM_VALUES);
  return {
    id,
    name: readString(m, FIELD_NAME),
    type: typeof type === 'string' ? type : 'string',
    required: readBool(m, FIELD_REQUIRED, false),
    unique: readBool(m, FIELD_UNIQUE, false),
    default: m.has(FIELD_DEFAULT) ? ((m.get(FIELD_DEFAULT) ?? null) as Json) : null,
    enum_values:
      Array.isArray(enumValues) && enumValues.every((v) => typeof v === 'string') ? (enumValues as string[]) : [],
    description: readString(m, FIELD_DESCRIPTION),
    position: readPosition(m),
  };
}

export function readRelation(id: string, m: Y.Map<unknown>): Relation {
  return {
    id,
    name: readString(m, RELATION_NAME),
    kind: readString(m, RELATION_KIND),
    target: readString(m, RELATION_TARGET),
    position: readPosition(m),
  };
}

/** Items of a fields/relations root, as (id, nested map) pairs; non-map entries are skipped like the server does. */
export function itemMaps(root: Y.Map<unknown>): [string, Y.Map<unknown>][] {
  const out: [string, Y.Map<unknown>][] = [];
  root.forEach((value, id) => {
    if (value instanceof Y.Map) out.push([id, value]);
  });
  return out;
}

/**
 * An item id no peer can also generate: `<prefix><client id hex>_<clock>_<n>`,
 * the same scheme as the server's patches (model.rs IdGen). The clock grows
 * with every transaction of this client that creates items.
 */
export function newItemId(doc: Y.Doc, prefix: 'f' | 'r', taken: (id: string) => boolean): string {
  const clock = Y.getState(doc.store, doc.clientID);
  for (let n = 0; ; n++) {
    const id = `${prefix}${doc.clientID.toString(16)}_${clock}_${n}`;
    if (!taken(id)) return id;
  }
}

/** Props of a new field: collection.rs's fallbacks over what is given. */
export function newFieldProps(name: string, position: string): [string, unknown][] {
  return [
    [FIELD_NAME, name],
    [FIELD_TYPE, 'string'],
    [FIELD_REQUIRED, false],
    [FIELD_UNIQUE, false],
    [FIELD_DEFAULT, null],
    [FIELD_ENUM_VALUES, []],
    [FIELD_DESCRIPTION, ''],
    [POSITION, position],
  ];
}

export function newRelationProps(name: string, kind: RelationKind, target: string, position: string): [string, unknown][] {
  return [
    [RELATION_NAME, name],
    [RELATION_KIND, kind],
    [RELATION_TARGET, target],
    [POSITION, position],
  ];
}
