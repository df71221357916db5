/**
 * API keys. A key is `trn_` + 256 random bits (base64url); only its SHA-256 is stored, so the
 * database never holds a usable key. SHA-256 and not a slow hash: a guess at 256 random bits
 * is hopeless whatever the hash costs, and every request verifies a key.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from './db.ts';
import type { KeyRole } from './generated/enums.ts';

export type { KeyRole };

/** What every key starts with: recognisable in a config file or a secret scanner. */
export const KEY_PREFIX = 'trn_';
/** The tenant of open local mode, and of rows created before tenants existed. */
export const DEFAULT_TENANT = 'default';
/** Tenant names: short, printable, safe in logs and URLs. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const VIEW = { id: true, name: true, prefix: true, role: true, tenant: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;
export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  role: KeyRole;
  tenant: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Creates a key; the returned `key` is the only time it exists outside the caller. */
export async function createKey(db: Db, opts: { name: string; tenant?: string; role?: KeyRole }): Promise<KeyRow & { key: string }> {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const row = await db.apiKey.create({
    data: {
      id: randomUUID(),
      name: opts.name,
      hash: hashKey(key),
      prefix: key.slice(0, KEY_PREFIX.length + 4),
      role: opts.role ?? 'user',
      tenant: opts.tenant ?? DEFAULT_TENANT,
    },
    select: VIEW,
  });
  return { ...row, key };
}

export function listKeys(db: Db): Promise<KeyRow[]> {
  return db.apiKey.findMany({ orderBy: { createdAt: 'asc' }, select: VIEW });
}

/** Revokes a key; false when there is no such key (revoking twice is harmless). */
export async function revokeKey(db: Db, id: string): Promise<KeyRow | null> {
  await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return db.apiKey.findUnique({ where: { id }, select: VIEW });
}

/** Whether any key was ever created (revoked ones count: revoking every key must not reopen the service). */
export async function anyKeyExists(db: Db): Promise<boolean> {
  // Asked on every request in open local mode (a key made by the CLI must take effect at once):
  // plain SQL, without Prisma's query building.
  const [{ found }] = await db.$queryRaw<Array<{ found: boolean }>>`SELECT EXISTS (SELECT 1 FROM "ApiKey") AS found`;
  return found;
}

/** The live key whose hash (hashKey of the presented secret) this is, or null (unknown or revoked). */
export async function verifyKeyHash(db: Db, hash: string): Promise<KeyRow | null> {
  const row = await db.apiKey.findUnique({ where: { hash }, select: { ...VIEW, hash: true } });
  // The lookup is by hash already; the constant-time compare keeps it so should the lookup change.
  if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash)) || row.revokedAt) return null;
  const { hash: _hash, ...key } = row;
  return key;
}

/** Records a use, at most once a minute per key, so a busy key does not write on every request. */
export async function touchKey(db: Db, id: string): Promise<void> {
  const aMinuteAgo = new Date(Date.now() - 60_000);
  await db.apiKey.updateMany({
    where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: aMinuteAgo } }] },
    data: { lastUsedAt: new Date() },
  });
}
