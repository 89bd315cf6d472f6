import type { CommandSpec, EventSpec } from './contract.ts';

/** Builds a name-keyed map from a list of command specs, keeping each literal name in the type. */
export function commandMap<const T extends readonly (CommandSpec & { readonly name: string })[]>(
  ...specs: T
): { [K in T[number] as K['name']]: K } {
  const map: Record<string, CommandSpec> = {};
  for (const spec of specs) {
    if (map[spec.name]) throw new Error(`duplicate command ${spec.name}`);
    map[spec.name] = spec;
  }
  return map as never;
}

export function eventMap<const T extends readonly (EventSpec & { readonly name: string })[]>(
  ...specs: T
): { [K in T[number] as K['name']]: K } {
  const map: Record<string, EventSpec> = {};
  for (const spec of specs) map[spec.name] = spec;
  return map as never;
}
