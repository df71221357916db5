import { apiKey } from '../api.ts';
import { h } from '../dom.ts';

/** Asked for when the API answers 401: the key is kept in sessionStorage for this tab's session. */
export function keyPage(main: HTMLElement, refused: boolean, done: () => void): void {
  const keyInput = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', required: true });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (ev: SubmitEvent) => {
        ev.preventDefault();
        apiKey.set(keyInput.value.trim());
        done();
      },
    },
    h('h1', {}, 'API key'),
    h('p', {}, "This service requires an API key. It is kept for this browser tab's session only."),
    refused ? h('p', { class: 'error', role: 'alert' }, 'The service refused that key.') : null,
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'Key'), keyInput),
    h('button', { type: 'submit' }, 'Continue'),
  );
  main.append(form);
  keyInput.focus();
}
