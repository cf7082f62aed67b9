-- One pending proposal per market and side (exchange, symbol, side), in each system mode.
-- A run that would propose again while one waits is refused with the waiting proposal's
-- id (trading/engine/act-on-intents.ts): what you are reviewing never changes under you.
-- The index makes that hold for concurrent runs too: the second insert finds the first
-- (`on conflict ... do nothing`) instead of creating a twin.
--
-- A database may already hold several pending proposals for one market and side: the
-- oldest stays pending (the first one you could have seen), the later ones are expired
-- with a note naming it, so the index can be built and the migration never fails.
do $$
declare
  mode_schema text;
begin
  foreach mode_schema in array array['trading_test', 'trading_live'] loop
    execute format($sql$
      update %1$I.proposals p
         set status = 'expired', decided_at = now(),
             decision_note = format('superseded: proposal #%%s for the same market and side was already pending', f.first_id)
        from (select exchange, symbol, side, min(proposal_id) as first_id
                from %1$I.proposals where status = 'pending' group by exchange, symbol, side) f
       where p.status = 'pending' and p.exchange = f.exchange and p.symbol = f.symbol and p.side = f.side
         and p.proposal_id <> f.first_id;
      create unique index proposals_one_pending on %1$I.proposals (exchange, symbol, side) where status = 'pending';
    $sql$, mode_schema);
  end loop;
end $$;
