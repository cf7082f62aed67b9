import { z } from 'zod';
import { type Db, queryRows } from '../store/db.ts';
import { type TradingScope, tradingScope } from './scope.ts';

/**
 * Whether this connection could reach the other system mode's state. Trading code drops
 * to its mode's role for every transaction, which stops mistakes; it stops a deliberate
 * `set role` only when the login itself cannot reach the other mode: not a superuser, not
 * a member of the other mode's role, no privileges of its own on the other schema, and
 * unable to create roles (and so grant itself one). `trader status` shows the answer.
 */
export const ModeBarrier = z.object({
  holds: z.boolean(),
  /** The user the connection logged in as. */
  login: z.string(),
  /** One sentence per way across; empty when the barrier holds. */
  crossings: z.array(z.string()),
});
export type ModeBarrier = z.infer<typeof ModeBarrier>;

const LoginRow = z.object({
  login: z.string(),
  superuser: z.boolean(),
  createrole: z.boolean(),
  member: z.boolean(),
  schema: z.boolean(),
});

export async function checkModeBarrier(db: Db, scope: TradingScope): Promise<ModeBarrier> {
  const other = tradingScope(scope.mode === 'TEST' ? 'LIVE' : 'TEST');
  const [me] = await queryRows(
    db,
    LoginRow,
    `select r.rolname as login, r.rolsuper as superuser, r.rolcreaterole as createrole,
            pg_has_role(session_user, $1, 'MEMBER') as member,
            has_schema_privilege(session_user, $2, 'USAGE') as schema
       from pg_roles r where r.rolname = session_user`,
    [other.role, other.schema],
  );
  const { login } = me!;
  if (db.kind === 'pglite')
    return {
      holds: false,
      login,
      crossings: [
        `the embedded database runs every command as its one superuser, so it offers no barrier against deliberate role switching into ${other.role}`,
      ],
    };
  const crossings = me!.superuser
    ? [`${login} is a superuser, so it can switch to ${other.role} (set role)`]
    : [
        ...(me!.member ? [`${login} is a member of ${other.role}, so it can switch to it (set role)`] : []),
        ...(me!.schema && !me!.member
          ? [`${login} has privileges of its own on ${other.schema} (it owns it or was granted them)`]
          : []),
        ...(me!.createrole ? [`${login} can create roles, so it can make itself a member of ${other.role}`] : []),
      ];
  return { holds: crossings.length === 0, login, crossings };
}
