import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, TraderError } from '../core/errors.ts';
import { type Db, type Queryable, queryRows } from '../store/db.ts';
import { scramVerifier } from '../store/scram-verifier.ts';
import { recordAudit } from './audit/audit-log.ts';
import { type SystemMode, tradingScope } from './scope.ts';
import { quote } from '../core/quote.ts';

/**
 * Login roles that make the TEST/LIVE barrier absolute on a Postgres server: each is a
 * member of one mode role only, with no attribute that could reach the other (superuser,
 * CREATEROLE, BYPASSRLS, ...), so a process connected as it cannot even `set role` to the
 * other mode. Idempotent: an existing role is repaired, its password kept unless reset.
 * Passwords travel only as SCRAM verifiers (store/scram-verifier.ts).
 */

export const defaultLoginNames: Record<SystemMode, string> = {
  TEST: 'trader_test_login',
  LIVE: 'trader_live_login',
};

const roleName = /^[a-z_][a-z0-9_]{0,62}$/;
const passwordRule = /^[\x20-\x7e]{16,128}$/;

export function checkLoginName(flag: string, name: string): string {
  if (!roleName.test(name) || /^(trader_test|trader_live|postgres|pg_.*)$/.test(name))
    throw new TraderError(
      'BAD_INPUT',
      `${flag} must be a new role name of lower-case letters, digits and '_' (not trader_test, trader_live, postgres or pg_*), not ${quote(name)}.`,
    );
  return name;
}

export function checkGivenPassword(role: string, password: string): string {
  if (!passwordRule.test(password))
    throw new TraderError(
      'BAD_INPUT',
      `The password for ${role} must be 16 to 128 printable ASCII characters; enter another.`,
    );
  return password;
}

export function notOnEmbedded(): TraderError {
  return new TraderError(
    'BAD_INPUT',
    'The embedded database has a single built-in superuser and takes no network logins, so login roles do not apply to it; set DATABASE_URL to a Postgres server to create them.',
  );
}

export interface LoginRolesOptions {
  names: Record<SystemMode, string>;
  /** Give existing roles a new password too (deployed connections must then be updated). */
  resetPasswords: boolean;
  /** The password of a role that gets a new one; without it a random one is generated. */
  askPassword?: (role: string) => Promise<string>;
}

export const LoginRoleResult = z.object({
  mode: z.enum(['TEST', 'LIVE']),
  name: z.string(),
  member_of: z.enum(['trader_test', 'trader_live']),
  outcome: z.enum(['created', 'repaired', 'unchanged']),
  /** What was changed on an existing role. */
  repairs: z.array(z.string()),
  credential: z.enum(['generated', 'given', 'kept']),
});
export type LoginRoleResult = z.infer<typeof LoginRoleResult> & {
  /** A generated password, returned once to be shown once; never stored, logged or audited. */
  password?: string;
};

const RoleRow = z.object({
  rolsuper: z.boolean(),
  rolcreaterole: z.boolean(),
  rolcreatedb: z.boolean(),
  rolreplication: z.boolean(),
  rolbypassrls: z.boolean(),
  rolcanlogin: z.boolean(),
  rolinherit: z.boolean(),
});
/** Attributes a login role must have (true) or lack (false), with the SQL keyword that sets each. */
const wanted: [keyof z.infer<typeof RoleRow>, boolean, string][] = [
  ['rolcanlogin', true, 'login'],
  ['rolinherit', true, 'inherit'],
  ['rolsuper', false, 'nosuperuser'],
  ['rolcreaterole', false, 'nocreaterole'],
  ['rolcreatedb', false, 'nocreatedb'],
  ['rolreplication', false, 'noreplication'],
  ['rolbypassrls', false, 'nobypassrls'],
];
const attributes = wanted.map(([, , keyword]) => keyword).join(' ');

async function findRole(q: Queryable, name: string): Promise<z.infer<typeof RoleRow> | undefined> {
  const cols = wanted.map(([c]) => c).join(', ');
  return (await queryRows(q, RoleRow, `select ${cols} from pg_roles where rolname = $1`, [name]))[0];
}

/** The connected user, who must be able to create roles. */
async function assertMayCreateRoles(q: Queryable): Promise<string> {
  const [me] = await queryRows(
    q,
    z.object({ name: z.string(), rolsuper: z.boolean(), rolcreaterole: z.boolean() }),
    'select rolname as name, rolsuper, rolcreaterole from pg_roles where rolname = current_user',
  );
  if (!me!.rolsuper && !me!.rolcreaterole)
    throw new TraderError(
      'CONFIG_INVALID',
      `The database user ${me!.name} may not create roles; connect as a superuser or a user with CREATEROLE (the DATABASE_URL of \`trader db roles\`, the --to of \`trader db move\`).`,
    );
  return me!.name;
}

/** Role DDL takes no parameters: names are checked identifiers, passwords go as verifiers (base64, '$', ':'). */
async function ensureOne(
  tx: Queryable,
  mode: SystemMode,
  name: string,
  password: string | undefined,
): Promise<Omit<LoginRoleResult, 'credential' | 'password'>> {
  const own = tradingScope(mode).role;
  const other = tradingScope(mode === 'TEST' ? 'LIVE' : 'TEST').role;
  const ident = `"${name}"`;
  const existing = await findRole(tx, name);
  const repairs: string[] = [];
  const setPassword = password === undefined ? '' : ` password '${scramVerifier(password)}'`;
  if (existing?.rolsuper)
    throw new TraderError(
      'CONFIG_INVALID',
      `The role ${name} is a superuser, which no login role for trader may be; name another with --${mode.toLowerCase()}-login.`,
    );
  if (!existing) {
    await tx.exec(`create role ${ident} with ${attributes}${setPassword}`);
  } else {
    for (const [col, want, keyword] of wanted) if (existing[col] !== want) repairs.push(keyword);
    if (repairs.length > 0 || setPassword) await tx.exec(`alter role ${ident} with ${attributes}${setPassword}`);
  }
  const direct = await queryRows(
    tx,
    z.object({ role: z.string() }),
    `select g.rolname as role from pg_auth_members m join pg_roles g on g.oid = m.roleid
       join pg_roles r on r.oid = m.member where r.rolname = $1`,
    [name],
  );
  if (direct.some((d) => d.role === other)) {
    await tx.exec(`revoke ${other} from ${ident}`);
    repairs.push(`no longer a member of ${other}`);
  }
  if (!direct.some((d) => d.role === own)) {
    await tx.exec(`grant ${own} to ${ident}`);
    if (existing) repairs.push(`member of ${own}`);
  }
  const [reach] = await queryRows(
    tx,
    z.object({ other: z.boolean() }),
    `select pg_has_role($1, $2, 'MEMBER') as other`,
    [name, other],
  );
  if (reach!.other)
    throw new TraderError(
      'CONFIG_INVALID',
      `The role ${name} still reaches ${other} through another role it belongs to; remove that membership, then run \`trader db roles\` again.`,
    );
  // Servers that took CONNECT away from PUBLIC still let the login role in.
  await tx.exec(`do $$ begin execute format('grant connect on database %I to ${ident}', current_database()); end $$`);
  return {
    mode,
    name,
    member_of: own,
    outcome: existing ? (repairs.length ? 'repaired' : 'unchanged') : 'created',
    repairs,
  };
}

/**
 * What creating the login roles needs, checked without changing anything (so `trader db
 * move` can refuse before it writes): a Postgres server, two names, and a connected user who
 * may create roles and is neither of them.
 */
export async function assertLoginRolesPossible(db: Db, names: Record<SystemMode, string>): Promise<void> {
  if (db.kind !== 'postgres') throw notOnEmbedded();
  if (names.TEST === names.LIVE)
    throw new TraderError('BAD_INPUT', 'The TEST and LIVE login roles need two different names.');
  const admin = await assertMayCreateRoles(db);
  if (Object.values(names).includes(admin))
    throw new TraderError('BAD_INPUT', `${admin} is the user this command is connected as; name other login roles.`);
}

/** Creates or repairs the TEST and LIVE login roles in one transaction, audited; see the file comment. */
export async function ensureLoginRoles(db: Db, options: LoginRolesOptions): Promise<LoginRoleResult[]> {
  await assertLoginRolesPossible(db, options.names);
  // Passwords are settled before the transaction, so no prompt holds it open.
  const modes: SystemMode[] = ['TEST', 'LIVE'];
  const passwords = new Map<SystemMode, { password: string; credential: 'generated' | 'given' }>();
  for (const mode of modes) {
    const name = options.names[mode];
    if ((await findRole(db, name)) && !options.resetPasswords) continue;
    passwords.set(
      mode,
      options.askPassword
        ? { password: checkGivenPassword(name, await options.askPassword(name)), credential: 'given' }
        : { password: randomBytes(24).toString('base64url'), credential: 'generated' },
    );
  }
  try {
    return await db.transaction(async (tx) => {
      const results: LoginRoleResult[] = [];
      for (const mode of modes) {
        const pw = passwords.get(mode);
        const done = await ensureOne(tx, mode, options.names[mode], pw?.password);
        results.push({
          ...done,
          credential: pw?.credential ?? 'kept',
          ...(pw?.credential === 'generated' ? { password: pw.password } : {}),
        });
      }
      const changed = results.some((r) => r.outcome !== 'unchanged' || r.credential !== 'kept');
      await recordAudit(tx, {
        mode: 'SYSTEM',
        actor: 'USER',
        action_type: 'DB_LOGIN_ROLES',
        status: changed ? 'SUCCESS' : 'INFO',
        details: { roles: results.map((r) => LoginRoleResult.parse(r)) },
      });
      return results;
    });
  } catch (e) {
    if (e instanceof TraderError) throw e;
    throw new TraderError(
      'CONFIG_INVALID',
      `The login roles could not be set up, and nothing was changed: ${errorMessage(e)}; run \`trader db roles\` with a DATABASE_URL of a superuser.`,
    );
  }
}

/** `databaseUrl` with the login role as its user; the password shown only when given, else masked. */
export function loginUrl(databaseUrl: string, name: string, password?: string): string {
  const url = new URL(databaseUrl);
  url.username = name;
  url.password = password === undefined ? '****' : encodeURIComponent(password);
  return url.toString();
}
