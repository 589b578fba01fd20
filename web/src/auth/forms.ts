// Sign-in and registration pages.
import type { View } from '../app/router';
import { setTrail } from '../app/shell';
import { h } from '../ui/element';
import { messageOf } from '../ui/notice';
import { session } from './session';

function form(
  title: string,
  fields: HTMLElement[],
  submitLabel: string,
  footer: HTMLElement,
  submit: () => Promise<void>,
): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'form-error' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, submitLabel);
  const el = h('form', { class: 'card narrow auth' }, h('h1', {}, title), ...fields, error, button, footer);
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      await submit();
    } catch (err) {
      error.textContent = messageOf(err);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

function field(label: string, input: HTMLInputElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

export const loginView: View = (outlet) => {
  setTrail([{ label: 'Sign in' }]);
  const email = h('input', { type: 'email', autocomplete: 'username', required: true, 'data-testid': 'login-email' });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  outlet.append(
    form(
      'Sign in',
      [field('Email', email), field('Password', password)],
      'Sign in',
      h('p', {}, 'No account yet? ', h('a', { href: `#/register${location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?')) : ''}`, 'data-testid': 'register-link' }, 'Create one')),
      () => session.login(email.value.trim(), password.value),
    ),
  );
  email.focus();
};

export const registerView: View = (outlet) => {
  setTrail([{ label: 'Create an account' }]);
  const name = h('input', { type: 'text', autocomplete: 'name', required: true, maxlength: 100, 'data-testid': 'register-name' });
  const email = h('input', { type: 'email', autocomplete: 'username', required: true, 'data-testid': 'login-email' });
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-testid': 'login-password' });
  outlet.append(
    form(
      'Create an account',
      [field('Name', name), field('Email', email), field('Password (8 characters or more)', password)],
      'Create account',
      h('p', {}, 'Already registered? ', h('a', { href: '#/login' }, 'Sign in')),
      () => session.register(name.value.trim(), email.value.trim(), password.value),
    ),
  );
  name.focus();
};
