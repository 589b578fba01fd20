// Hash routes (`#/w/acme/prompts/<id>`): they work from any server path and
// need nothing from the server but index.html.

export type Cleanup = () => void;
export type View = (outlet: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Cleanup | void | Promise<Cleanup | void>;

interface Route {
  pattern: RegExp;
  keys: string[];
  view: () => Promise<View> | View;
}

const routes: Route[] = [];

/** Registers `path` like `/w/:ws/prompts/:id`; `view` may load lazily. */
export function route(path: string, view: () => Promise<View> | View): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' + path.replace(/:([a-z]+)/g, (_, k: string) => (keys.push(k), '([^/]+)')) + '/?$',
  );
  routes.push({ pattern, keys, view });
}

export function navigate(path: string): void {
  if (location.hash !== `#${path}`) location.hash = path;
}

/** The current route path and query, from the hash. */
export function current(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path, query: new URLSearchParams(search) };
}

/** Replaces the query of the current route without a history entry or re-render. */
export function setQuery(query: URLSearchParams): void {
  const s = query.toString();
  history.replaceState(null, '', `#${current().path}${s ? `?${s}` : ''}`);
}

export function startRouter(outlet: HTMLElement, guard: (path: string) => string | null): void {
  let cleanup: Cleanup | void;
  let generation = 0;
  const render = async () => {
    const { path, query } = current();
    const redirect = guard(path);
    if (redirect !== null && redirect !== path) return navigate(redirect);
    const gen = ++generation;
    cleanup?.();
    cleanup = undefined;
    outlet.replaceChildren();
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      const view = await r.view();
      if (gen !== generation) return;
      const c = await view(outlet, params, query);
      // The person navigated away while the view was loading.
      if (gen !== generation) c?.();
      else cleanup = c;
      return;
    }
    navigate('/');
  };
  window.addEventListener('hashchange', () => void render());
  void render();
}
