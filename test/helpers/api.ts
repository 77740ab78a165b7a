import type { Services } from '../../src/app/container.js';
import type { Role } from '../../src/auth/index.js';
import type { App } from '../../src/http/app.js';

/** Creates a user with the role and returns a bearer token for it. */
export async function loginAs(
  services: Services,
  app: App,
  role: Role,
  customerId: string | null = null,
): Promise<{ token: string; userId: string; headers: { authorization: string } }> {
  const email = `${role.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}@test.nexsphere`;
  const password = 'correct-horse-battery';
  const user = await services.auth.createUser(null, { email, name: role, role, password, customerId });
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  const token = (res.json() as { token: string }).token;
  return { token, userId: user.id, headers: { authorization: `Bearer ${token}` } };
}
