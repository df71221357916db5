/**
 * Client-side navigation for the pages. It only changes the URL and says so with a `popstate`
 * event, which the router (main.ts) already renders on for the back button: the pages import
 * this module, never main.ts, so main.ts and its pages do not import each other.
 */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}
