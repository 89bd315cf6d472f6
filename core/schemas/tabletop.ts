import { z } from 'zod';

/**
 * A tabletop scene for the simulated SO-101: positions in metres on the table (x to the arm's
 * left, y forward is negative — the SO-101 URDF reaches along −y), colours as 0..1 RGB.
 */
const finite = z.number();
export const TablePoint = z.tuple([finite, finite]);
export const Colour = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]);

export const TabletopScene = z
  .object({
    name: z.string().min(1).max(100),
    cube: z.object({ position: TablePoint, size: z.number().min(0.01).max(0.06).default(0.03), colour: Colour.default([0.85, 0.15, 0.15]) }).strict(),
    bin: z.object({ position: TablePoint, size: z.number().min(0.04).max(0.2).default(0.09), colour: Colour.default([0.15, 0.35, 0.85]) }).strict(),
    obstacles: z.array(z.object({ position: TablePoint, radius: z.number().min(0.005).max(0.1), height: z.number().min(0.01).max(0.4) }).strict()).max(8).default([]),
    distractors: z.array(z.object({ position: TablePoint, size: z.number().min(0.01).max(0.06), colour: Colour }).strict()).max(8).default([]),
    lighting: z.object({ brightness: z.number().min(0.3).max(1.7).default(1), tint: Colour.default([1, 1, 1]) }).strict().default({ brightness: 1, tint: [1, 1, 1] }),
    table: z.object({ colour: Colour.default([0.62, 0.55, 0.45]) }).strict().default({ colour: [0.62, 0.55, 0.45] }),
  })
  .strict();
export type TabletopScene = z.infer<typeof TabletopScene>;
export const TabletopSceneList = z.array(TabletopScene).min(1).max(64);
