/**
 * Every table's rows (tests/helpers/table-contents.ts) less what `trader db move` adds itself:
 * its audit rows (DB_MOVED, DB_LOGIN_ROLES) and the chain head they moved on. What remains
 * must be equal in the source and the target, row for row.
 */
export function withoutTheMove(contents: Record<string, string[]>): Record<string, string[]> {
  const { 'public.audit_chain_head': _head, ...rest } = contents;
  return {
    ...rest,
    'public.audit_trail': contents['public.audit_trail']!.filter(
      (r) => !/"action_type": "(DB_MOVED|DB_LOGIN_ROLES)"/.test(r),
    ),
  };
}
