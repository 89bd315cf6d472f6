import { existsSync } from 'node:fs';

export type ExecutionProvider = 'cuda' | 'cpu';

export interface ProviderReport {
  /** Providers onnxruntime-node was built with. */
  bundled: string[];
  /** What Skillframe will use, best first. CPU is always last and always there. */
  usable: ExecutionProvider[];
  /** Why CUDA is not usable, when it is not. */
  cudaReason?: string;
}

/**
 * CUDA is used only when the machine has an NVIDIA driver AND a CUDA provider library is
 * installed; otherwise CPU. Never fails because a GPU is absent.
 */
export async function detectProviders(): Promise<ProviderReport> {
  const ort = await import('onnxruntime-node');
  const backends = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends?.() ?? [];
  const bundled = backends.filter((backend) => backend.bundled).map((backend) => backend.name);
  const hasDriver = existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidiactl');
  const cudaListed = backends.some((backend) => backend.name === 'cuda');
  const cudaLibrary = cudaProviderLibrary();
  let cudaReason: string | undefined;
  if (!hasDriver) cudaReason = 'no NVIDIA driver on this machine';
  else if (!cudaListed || !cudaLibrary) cudaReason = 'NVIDIA driver present but the onnxruntime CUDA provider library is not installed';
  return { bundled, usable: cudaReason ? ['cpu'] : ['cuda', 'cpu'], ...(cudaReason ? { cudaReason } : {}) };
}

function cudaProviderLibrary(): string | undefined {
  const candidates = [
    process.env.SKILLFRAME_ORT_CUDA_LIB,
    'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
  ].filter((value): value is string => Boolean(value));
  return candidates.find((path) => existsSync(path));
}
