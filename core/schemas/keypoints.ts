import { z } from 'zod';

/**
 * The sidecar JSON beside a keypoint detector (`detector.onnx` + `detector.json`): the classes
 * its probability maps stand for, the camera its pixels are back-projected through onto the
 * table, and the per-class rules that turn a map into keypoints (threshold, smallest blob, the
 * height of the plane a class's pixels are taken to lie on, fitted when the detector was trained).
 */
const Vector3 = z.tuple([z.number(), z.number(), z.number()]);

export const DetectorClass = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/),
    /** Pixels with this class probability above it belong to a blob. */
    threshold: z.number().min(0).max(1),
    /** Blobs smaller than this (pixels) are noise. */
    minArea: z.number().int().min(1),
    /** Table-plane height (metres) the blob's centre is back-projected onto. */
    planeHeight: z.number().min(0).max(0.5),
    /** `one`: exactly one instance is expected (reach it); `many`: zero or more (keep away from each). */
    instances: z.enum(['one', 'many']),
  })
  .strict();
export type DetectorClass = z.infer<typeof DetectorClass>;

export const DetectorSidecar = z
  .object({
    version: z.literal(1),
    /** Index 0 is the background; the others are the keypoints a reward spec may name. */
    classes: z.array(DetectorClass).min(2).max(16),
    input: z.object({ name: z.string().min(1), shape: z.tuple([z.literal('batch'), z.literal(3), z.number().int().positive(), z.number().int().positive()]) }).strict(),
    output: z.object({ name: z.string().min(1) }).strict(),
    camera: z.object({ width: z.number().int().positive(), height: z.number().int().positive(), eye: Vector3, target: Vector3, fov: z.number().positive().max(179) }).strict(),
    /** Measured when trained, on held-out rendered frames: mean table-plane error (m; null when nothing was found) and recall per class. */
    validation: z.record(z.string(), z.object({ meanError: z.number().nonnegative().nullable(), recall: z.number().min(0).max(1), frames: z.number().int() }).strict()).optional(),
  })
  .strict();
export type DetectorSidecar = z.infer<typeof DetectorSidecar>;
