/**
 * The dashboard: a client-side router over the pages. Each page renders into <main> and returns
 * a cleanup (close its event streams and timers) called when the user leaves it.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { apiKey, onUnauthorized } from './api.ts';
import { h, replace } from './dom.ts';
import { jobListPage } from './pages/jobs.ts';
import { jobPage } from './pages/job.ts';
import { newJobPage } from './pages/new-job.ts';
import { comparisonPage } from './pages/comparison.ts';
import { playgroundPage } from './pages/playground.ts';
import { datasetsPage } from './pages/datasets.ts';
import { keyPage } from './pages/key.ts';
import { navigate } from './navigation.ts';

type Cleanup = () => void;
type Page = (main: HTMLElement, params: Record<string, string>) => Cleanup | void;

const routes: [RegExp, Page, string][] = [
  [/^\/$/, jobListPage, 'Jobs'],
  [/^\/new$/, newJobPage, 'New job'],
  [/^\/jobs\/(?<id>[^/]+)$/, jobPage, 'Job'],
  [/^\/comparisons\/(?<id>[^/]+)$/, comparisonPage, 'Comparison'],
  [/^\/playground$/, playgroundPage, 'Playground'],
  [/^\/datasets$/, datasetsPage, 'Datasets'],
];

let cleanup: Cleanup | void;
let askingForKey = false;
let keyRefused = false;

function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  const main = document.getElementById('main') as HTMLElement;
  replace(main);
  renderKeySlot();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (a.pathname === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (askingForKey) {
    document.title = 'API key · trainer';
    cleanup = keyPage(main, keyRefused, () => {
      askingForKey = false;
      render();
    });
    return;
  }
  for (const [re, page, title] of routes) {
    const m = re.exec(location.pathname);
    if (!m) continue;
    document.title = `${title} · trainer`;
    cleanup = page(main, { ...m.groups });
    return;
  }
  document.title = 'Not found · trainer';
  replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '/' }, 'Back to the jobs')));
}

function renderKeySlot(): void {
  const slot = document.getElementById('key-slot');
  if (!slot) return;
  replace(
    slot,
    apiKey.get()
      ? h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () => {
              apiKey.clear();
              render();
            },
          },
          'Forget API key',
        )
      : null,
  );
}

onUnauthorized(() => {
  if (askingForKey) return;
  // A key we sent was refused (revoked, mistyped): forget it and ask again.
  keyRefused = apiKey.get() !== null;
  apiKey.clear();
  askingForKey = true;
  render();
});

// Same-origin links are handled here; /v1 and /docs are the API's own and load normally.
document.addEventListener('click', (ev) => {
  const a = (ev.target as Element | null)?.closest?.('a');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  if (a.origin !== location.origin || a.hasAttribute('download') || a.target) return;
  if (/^\/(v1|docs|openapi\.json|healthz|readyz)/.test(a.pathname)) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
  (document.getElementById('main') as HTMLElement).focus();
});
// The back button, and navigate() from the pages (navigation.ts).
window.addEventListener('popstate', render);
render();
