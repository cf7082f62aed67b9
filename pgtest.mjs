import { PGlite } from '@electric-sql/pglite';
let t=Date.now(); const db = await PGlite.create(); console.log('mem create', Date.now()-t);
t=Date.now(); const r = await db.query('select $1::int8 as a, $2::jsonb as j, $3::text[] as arr, now() as n', [5, {a:1}, ['x','y']]); console.log(r.rows, Date.now()-t);
t=Date.now(); const d2 = await PGlite.create(); console.log('mem create2', Date.now()-t);
t=Date.now(); const dump = await db.dumpDataDir('none'); console.log('dump', Date.now()-t, dump.size);
t=Date.now(); const d3 = await PGlite.create({loadDataDir: dump}); console.log('load', Date.now()-t);
