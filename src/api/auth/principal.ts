/** Who is asking: the tenant whose data a request sees, and what it may do. */
import { DEFAULT_TENANT, type KeyRole } from '../../store/keys.ts';

export interface Principal {
  tenant: string;
  role: KeyRole;
  /** The key's id (logged instead of the key); null in open local mode or with AUTH=off. */
  keyId: string | null;
}

/** Open local mode and AUTH=off: one user, who owns everything in the default tenant. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenant: DEFAULT_TENANT, role: 'admin', keyId: null });

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook before any route runs (api/auth/plugin.ts). */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** `admin`: only admin keys (403 for user keys). */
    access?: 'admin';
  }
}
