-- A module's local import graph, pinned at registration (orchestrator/loader/import-graph.ts):
-- the module file and every file of its own folder it imports, transitively, each with its
-- sha256 and what it imports (local files, SDK files, allowed packages). The loader refuses
-- the module when any of these files changed. Null until the module is registered or first
-- loaded by this version (then computed and pinned, and the module gated again).
alter table module_registry add column import_graph jsonb;
