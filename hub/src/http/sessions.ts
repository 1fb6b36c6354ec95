// Operator sessions: a random token in an HttpOnly, SameSite=Strict cookie, expiring after `ttlMs`.
import { randomBytes } from 'node:crypto';

export class Sessions {
  private readonly byToken = new Map<string, { user: string; expires: number }>();
  constructor(private readonly ttlMs = 8 * 3_600_000) {}

  create(user: string): string {
    const token = randomBytes(24).toString('base64url');
    this.byToken.set(token, { user, expires: Date.now() + this.ttlMs });
    return token;
  }

  user(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const s = this.byToken.get(token);
    if (!s) return undefined;
    if (Date.now() > s.expires) { this.byToken.delete(token); return undefined; }
    return s.user;
  }

  end(token: string | undefined): void {
    if (token) this.byToken.delete(token);
  }
}
