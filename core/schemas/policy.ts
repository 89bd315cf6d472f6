import { z } from 'zod';

/**
 * The sidecar JSON beside a joint-space ONNX policy (`policy.onnx` + `policy.json`): what the
 * arm loop needs to drive any action-chunk generator, ours or one trained elsewhere. The
 * contract is documented in docs/POLICY.md. Conventions (engine/robot/policy/scheme.ts): time
 * runs 0 (noise) → 1 (clean); a flow network returns the velocity a − ε, a ddpm network the noise ε.
 */
const dimension = z.union([z.number().int().positive(), z.literal('batch')]);
export const TensorSpec = z.object({ name: z.string().min(1).max(200), shape: z.array(dimension).min(1).max(4) }).strict();
export type TensorSpec = z.infer<typeof TensorSpec>;

const Normalisation = z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) }).strict();

export const PolicySidecar = z
  .object({
    version: z.literal(1),
    kind: z.enum(['flow', 'ddpm']),
    /** Denoising steps the sampler takes. */
    steps: z.number().int().min(1).max(200),
    /** Actions per chunk, and how many of them run before the next chunk is sampled. */
    chunk: z.number().int().min(1).max(256),
    execute: z.number().int().min(1).max(256),
    /** Control rate the policy was trained at. */
    fps: z.number().positive().max(1000),
    /** Joint order of the state input and of every action (absolute targets, our units: degrees, gripper percent). */
    joints: z.array(z.string().min(1)).min(1).max(12),
    inputs: z
      .object({
        /** [batch, joints] normalised joint state. */
        state: TensorSpec,
        /** [batch, chunk × joints] the noisy normalised action chunk. */
        actions: TensorSpec,
        /** [batch, 1] flow/diffusion time. */
        time: TensorSpec,
        /** [batch, 3, height, width] camera image, RGB in 0..1 (optional). */
        image: TensorSpec.optional(),
      })
      .strict(),
    /** [batch, chunk × joints] velocity (flow) or noise (ddpm). */
    output: TensorSpec,
    normalisation: z.object({ state: Normalisation, action: Normalisation }).strict(),
    /** Temporal ensembling (ACT): weight of the previous chunk's plan for the ticks the new chunk also plans (0 or absent: none). */
    ensemble: z.number().min(0).max(0.9).optional(),
  })
  .strict()
  .superRefine((sidecar, context) => {
    const joints = sidecar.joints.length;
    const width = sidecar.chunk * joints;
    const expect = (path: (string | number)[], shape: (number | 'batch')[], wanted: (number | 'batch')[]) => {
      if (shape.length !== wanted.length || shape.some((value, index) => wanted[index] !== 'batch' && value !== wanted[index])) {
        context.addIssue({ code: 'custom', path, message: `shape must be ${JSON.stringify(wanted)}, got ${JSON.stringify(shape)}` });
      }
    };
    expect(['inputs', 'state', 'shape'], sidecar.inputs.state.shape, ['batch', joints]);
    expect(['inputs', 'actions', 'shape'], sidecar.inputs.actions.shape, ['batch', width]);
    expect(['inputs', 'time', 'shape'], sidecar.inputs.time.shape, ['batch', 1]);
    expect(['output', 'shape'], sidecar.output.shape, ['batch', width]);
    if (sidecar.inputs.image && (sidecar.inputs.image.shape.length !== 4 || sidecar.inputs.image.shape[1] !== 3)) {
      context.addIssue({ code: 'custom', path: ['inputs', 'image', 'shape'], message: `shape must be [batch, 3, height, width], got ${JSON.stringify(sidecar.inputs.image.shape)}` });
    }
    if (sidecar.execute > sidecar.chunk) context.addIssue({ code: 'custom', path: ['execute'], message: `execute ${sidecar.execute} is more than chunk ${sidecar.chunk}` });
    for (const kind of ['state', 'action'] as const) {
      for (const field of ['mean', 'std'] as const) {
        const values = sidecar.normalisation[kind][field];
        if (values.length !== joints) context.addIssue({ code: 'custom', path: ['normalisation', kind, field], message: `needs ${joints} values (one per joint), got ${values.length}` });
      }
    }
  });
export type PolicySidecar = z.infer<typeof PolicySidecar>;
