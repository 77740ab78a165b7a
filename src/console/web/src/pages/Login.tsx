import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Role, Session } from '../session';

interface LoginResponse {
  token: string;
  expiresAt: string;
  role: Role;
  userId: string;
  customerId: string | null;
}

export function Login(props: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<LoginResponse>('/auth/login', { method: 'POST', body: { email: email.trim(), password } });
      const s: Session = {
        token: r.token,
        role: r.role,
        userId: r.userId,
        customerId: r.customerId,
        email: email.trim(),
        expiresAt: r.expiresAt,
      };
      // The name is a nicety: sign-in works without it.
      try {
        const me = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${r.token}` } });
        if (me.ok) s.name = ((await me.json()) as { name: string }).name;
      } catch {
        /* keep the e-mail */
      }
      props.onSignedIn(s);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login-wrap">
      <form class="login card" onSubmit={submit} data-testid="login-form">
        <div class="brand big">
          <span class="logo" />
          <div>
            <div class="brand-name">Nexsphere</div>
            <div class="brand-sub">Operator platform</div>
          </div>
        </div>
        <label>
          E-mail
          <input
            name="email"
            type="email"
            autoComplete="username"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <div class="notice bad" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">Staff see the operations console; contractors and customers see their portal.</p>
      </form>
    </div>
  );
}
