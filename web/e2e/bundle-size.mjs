// Measures the compressed JavaScript a first visit downloads: the entry chunk
// and its static imports (from Vite's manifest), plus the route chunk of the
// page opened. Editors are lazy, so they count only for the editor routes.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { WEB } from './harness.mjs';

export const BUDGET_BYTES = 300 * 1024;

const dist = join(WEB, 'dist');

function manifest() {
  return JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
}

/** Files of `key` and of everything it imports statically. */
function closure(m, key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of m[key]?.imports ?? []) closure(m, dep, seen);
  return seen;
}

function gz(file) {
  return gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
}

/** Compressed JS bytes for the entry alone and for each route's first load. */
export function measure() {
  const m = manifest();
  const entry = Object.keys(m).find((k) => m[k].isEntry);
  const routeKey = (suffix) => Object.keys(m).find((k) => k.endsWith(suffix));
  const size = (keys) => [...keys].reduce((sum, k) => sum + gz(m[k].file), 0);
  const withRoute = (suffix) => {
    const keys = closure(m, entry);
    const route = routeKey(suffix);
    if (route) closure(m, route, keys);
    return size(keys);
  };
  const all = Object.values(m).filter((c) => c.file.endsWith('.js')).reduce((sum, c) => sum + gz(c.file), 0);
  return {
    entry: size(closure(m, entry)),
    login: withRoute('src/auth/forms.ts'),
    documents: withRoute('src/docs/list.ts'),
    promptEditor: withRoute('src/editor/prompt.ts'),
    modelEditor: withRoute('src/editor/model.ts'),
    allChunks: all,
  };
}

if (process.argv[1] && process.argv[1].endsWith('bundle-size.mjs')) {
  const sizes = measure();
  for (const [k, v] of Object.entries(sizes)) console.log(`${k.padEnd(14)} ${(v / 1024).toFixed(1)} KB gz`);
}
