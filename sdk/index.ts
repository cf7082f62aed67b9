/** The module SDK: everything a module may import. Modules never import the DB, network or fs. */
export { z } from 'zod';
export { defineManifest } from './define-module.ts';
export type { ModuleManifest, ModuleRun, ModuleResult, ModuleSdk, ModuleView, ModuleOutputs } from './define-module.ts';
export { indicators, floorToStep, stepFromPrecision } from './indicators.ts';
export { contextKeys } from './context-keys.ts';
export type { KeyName, ContextValue } from './context-keys.ts';
export type { LogicType } from './stages.ts';
