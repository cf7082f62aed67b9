import type { z } from 'zod';
import type { ContextValue, KeyName } from './context-keys.ts';
import type { Indicators } from './indicators.ts';
import type { LogicType } from './stages.ts';
import type { ColumnsOf, PreparedView } from './prepared.ts';

type DeepReadonly<T> = T extends (infer I)[]
  ? readonly DeepReadonly<I>[]
  : T extends object
    ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
    : T;

/** What a module declares about itself. The registry row must agree with it. */
export interface ModuleManifest<
  In extends KeyName = KeyName,
  Out extends KeyName = KeyName,
  P extends z.ZodType = z.ZodType,
> {
  module_id: string;
  version: string;
  logic_type: LogicType;
  description: string;
  input_keys: readonly In[];
  output_keys: readonly Out[];
  /** zod schema of the params; defaults declared here are the module's documented defaults. */
  params: P;
}

/** The read-only slice of the context a module may see: exactly its declared input keys. */
export type ModuleView<In extends KeyName> = { readonly [K in In]: DeepReadonly<ContextValue<K>> };

/** Value keys are set; list keys get their items appended. */
export type ModuleOutputs<Out extends KeyName> = { [K in Out]?: ContextValue<K> };

export interface ModuleResult<Out extends KeyName> {
  outputs: ModuleOutputs<Out>;
  /** Why the module decided what it did, in plain words. Required. */
  rationale: string;
}

/** Pure helpers handed to every module; modules have no other way to reach anything. */
export interface ModuleSdk {
  indicators: Indicators;
}

/**
 * A module's per-bar step. With `Prepare` (the type of the module's `prepare` export) it also
 * gets the prepared columns at the decision bar (sdk/prepared.ts).
 */
export type ModuleRun<M, Prepare = never> =
  M extends ModuleManifest<infer In, infer Out, infer P>
    ? [Prepare] extends [never]
      ? (view: ModuleView<In>, params: z.output<P>, sdk: ModuleSdk) => ModuleResult<Out>
      : (
          view: ModuleView<In>,
          params: z.output<P>,
          sdk: ModuleSdk,
          prepared: PreparedView<ColumnsOf<Prepare>>,
        ) => ModuleResult<Out>
    : never;

/** Identity at runtime; at compile time it pins the key names so `ModuleRun` can type the view. */
export function defineManifest<const In extends KeyName, const Out extends KeyName, P extends z.ZodType>(
  manifest: ModuleManifest<In, Out, P>,
): ModuleManifest<In, Out, P> {
  return manifest;
}
