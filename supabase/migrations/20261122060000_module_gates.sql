-- What the registration gates found about each module (determinism, look-ahead, warm-up;
-- see orchestrator/gates/). Null until the module is registered or first loaded by this
-- version; a module whose gates failed is kept inactive.
alter table module_registry add column gate jsonb;
