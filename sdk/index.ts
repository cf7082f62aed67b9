/** The module SDK: everything a module may import. Modules never import the DB, network or fs. */
export { z } from 'zod';
export { defineManifest } from './define-module.ts';
export type { ModuleManifest, ModuleRun, ModuleResult, ModuleSdk, ModuleView, ModuleOutputs } from './define-module.ts';
export { indicators, floorToStep, stepFromPrecision } from './indicators.ts';
export type { Values } from './indicators.ts';
export { contextKeys } from './context-keys.ts';
export type { KeyName, ContextValue } from './context-keys.ts';
export type { LogicType } from './stages.ts';
export { dominanceState, dominanceParamShape } from './dominance.ts';
export type { DominanceState, DominanceDirection, DominanceBias, DominanceSpec } from './dominance.ts';
export { fixed, px, clamp01 } from './format.ts';
export {
  bestIdea,
  stopToTick,
  sizeByRisk,
  withinProfileLimit,
  leverageFor,
  amountStep,
  stepText,
  minimumsViolation,
  sizingParamShape,
  spotIntent,
  realisedRiskText,
  walletNote,
  walletOf,
} from './sizing.ts';
export type { RiskSizingInput, RiskSizing, SizingWallet } from './sizing.ts';
export { entryCost, affordableQty, costRatesOf, noCosts } from './entry-costs.ts';
export type { CostRates } from './entry-costs.ts';
export {
  agentParams,
  noSignal,
  sortedR,
  rTargets,
  rMultiplesText,
  riskAndTargetsValid,
  adxScore,
  blendHalves,
  notEnoughData,
} from './signal-helpers.ts';
export { barsSince, barsText } from './bars.ts';
export { column, columnOf, priorHighest, priorLowest, windowMean } from './prepared.ts';
export type { SeriesColumns, PreparedColumns, PreparedView, ModulePrepare } from './prepared.ts';
