import { useState } from 'preact/hooks';
import { describeError } from '../api/errors.js';
import { useClient } from './context.js';
import { fieldText } from './forms.js';

/** Sign in, or create an account; every refusal is said in a sentence next to the form. */
export function AuthScreen() {
  const [client, state] = useClient();
  const [mode, setMode] = useState<'sign-in' | 'register'>('sign-in');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => fieldText(form, name);
    setBusy(true);
    setError(null);
    try {
      if (mode === 'sign-in') {
        await client.signIn(field('login').trim(), field('password'));
      } else {
        const displayName = field('displayName').trim();
        await client.register({
          username: field('username').trim(),
          email: field('email').trim(),
          password: field('password'),
          ...(displayName ? { displayName } : {}),
        });
      }
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  const switchTo = (next: 'sign-in' | 'register') => {
    setMode(next);
    setError(null);
  };

  return (
    <main class="auth">
      <div class="auth-card">
        <h1>Chat</h1>
        <div class="tabs" role="tablist" aria-label="Account">
          <button role="tab" type="button" aria-selected={mode === 'sign-in'} onClick={() => switchTo('sign-in')}>
            Sign in
          </button>
          <button role="tab" type="button" aria-selected={mode === 'register'} onClick={() => switchTo('register')}>
            Create account
          </button>
        </div>
        {state.signInNotice && mode === 'sign-in' && !error && (
          <p class="form-notice" role="status">
            {state.signInNotice}
          </p>
        )}
        {/* One form per mode (key): fields are never reused with the other form's constraints. */}
        <form key={mode} onSubmit={submit} aria-label={mode === 'sign-in' ? 'Sign in' : 'Create account'}>
          {mode === 'sign-in' ? (
            <>
              <label>
                Username or email
                <input name="login" autocomplete="username" required maxLength={254} />
              </label>
              <label>
                Password
                <input name="password" type="password" autocomplete="current-password" required maxLength={128} />
              </label>
            </>
          ) : (
            <>
              <label>
                Username
                <input
                  name="username"
                  autocomplete="username"
                  required
                  minLength={3}
                  maxLength={32}
                  pattern="[A-Za-z0-9_.\-]+"
                  title="3–32 letters, digits, _ . or -"
                />
              </label>
              <label>
                Email
                <input name="email" type="email" autocomplete="email" required maxLength={254} />
              </label>
              <label>
                Display name <span class="hint">(optional)</span>
                <input name="displayName" autocomplete="name" maxLength={64} />
              </label>
              <label>
                Password <span class="hint">(8 characters or more)</span>
                <input name="password" type="password" autocomplete="new-password" required minLength={8} maxLength={128} />
              </label>
            </>
          )}
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button class="primary" type="submit" disabled={busy}>
            {mode === 'sign-in' ? 'Sign in' : 'Create account'}
          </button>
        </form>
      </div>
    </main>
  );
}
