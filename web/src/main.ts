// Boot: the shell, the routes (editors load lazily so the first page stays
// small), and the sign-in guard.
import './styles.css';
import { route, startRouter, navigate, current } from './app/router';
import { mountShell } from './app/shell';
import { session } from './auth/session';
import { forgetMe } from './workspace/membership';

const outlet = mountShell(document.getElementById('app')!);

route('/login', async () => (await import('./auth/forms')).loginView);
route('/register', async () => (await import('./auth/forms')).registerView);
route('/', async () => (await import('./workspace/picker')).workspacesView);
route('/w/:ws', async () => (await import('./docs/list')).documentsView);
route('/w/:ws/members', async () => (await import('./workspace/members')).membersView);
route('/w/:ws/prompts/:id', async () => (await import('./editor/prompt')).promptView);
route('/w/:ws/models/:id', async () => (await import('./editor/model')).modelView);

const PUBLIC = ['/login', '/register'];

startRouter(outlet, (path) => {
  if (!session.user && !PUBLIC.includes(path)) return `/login?next=${encodeURIComponent(path)}`;
  if (session.user && PUBLIC.includes(path)) return current().query.get('next') ?? '/';
  return null;
});

session.onChange((user) => {
  forgetMe();
  if (!user) navigate('/login');
  else if (PUBLIC.includes(current().path)) navigate(current().query.get('next') ?? '/');
});
