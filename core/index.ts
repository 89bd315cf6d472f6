export * from './errors.ts';
export * from './contract.ts';
export * from './registry.ts';
export * from './abort.ts';
export * from './geometry.ts';
export * from './timeline.ts';
