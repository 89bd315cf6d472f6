import { useState } from 'preact/hooks';
import { ErrorLine, Page, useClient, useLoad } from '../components/common.tsx';

/** Model providers and permissions. The API key is write-only: the host never sends it back. */
export function SettingsPage() {
  const client = useClient();
  const settings = useLoad(() => client.invoke('settings.get', {}));
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const vlm: Record<string, string> = { provider: String(form.get('provider')) };
    for (const key of ['baseUrl', 'model', 'apiKey', 'modelPath']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) vlm[key] = value;
    }
    const patch = {
      vlm,
      permissions: { autoApproveTier: String(form.get('autoApproveTier')) },
      replay: { confidenceThreshold: Number(form.get('confidenceThreshold')), confirm: String(form.get('confirm')) },
    };
    setError(undefined);
    try {
      await client.invoke('settings.set', { json: JSON.stringify(patch) });
      setMessage('Saved.');
      settings.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const value = settings.value;
  return (
    <Page title="Settings" subtitle="Vision-language model provider, permission tiers and replay safety.">
      <ErrorLine error={settings.error ?? error} />
      {value && (
        <form onSubmit={save} class="card" style={{ maxWidth: 560 }}>
          <h3>Vision-language model</h3>
          <label for="provider">Provider</label>
          <select id="provider" name="provider" value={value.vlm.provider}>
            <option value="none">none (replay never asks a model)</option>
            <option value="openai">OpenAI-compatible HTTP (Ollama, vLLM, LM Studio, OpenAI)</option>
            <option value="llama">local llama.cpp (GGUF file)</option>
          </select>
          <label for="baseUrl">Base URL</label>
          <input id="baseUrl" name="baseUrl" value={value.vlm.baseUrl ?? ''} placeholder="http://127.0.0.1:11434/v1" />
          <label for="model">Model</label>
          <input id="model" name="model" value={value.vlm.model ?? ''} />
          <label for="apiKey">API key {value.vlm.apiKeySet ? '(set — leave empty to keep)' : ''}</label>
          <input id="apiKey" name="apiKey" type="password" autocomplete="off" />
          <label for="modelPath">GGUF model file (llama.cpp)</label>
          <input id="modelPath" name="modelPath" value={value.vlm.modelPath ?? ''} />
          <h3 style={{ marginTop: 18 }}>Permissions and replay</h3>
          <label for="autoApproveTier">Run without asking up to tier</label>
          <select id="autoApproveTier" name="autoApproveTier" value={value.permissions.autoApproveTier}>
            {['read', 'input', 'system', 'robot'].map((tier) => <option value={tier}>{tier}</option>)}
          </select>
          <label for="confidenceThreshold">Grounding confidence threshold</label>
          <input id="confidenceThreshold" name="confidenceThreshold" type="number" min="0" max="1" step="0.01" value={value.replay.confidenceThreshold} />
          <label for="confirm">Destructive steps</label>
          <select id="confirm" name="confirm" value={value.replay.confirm}>
            <option value="ask">ask</option>
            <option value="never">never run them</option>
            <option value="auto">run without asking</option>
          </select>
          <div class="row" style={{ marginTop: 16 }}>
            <button type="submit">Save</button>
            {message && <span class="muted">{message}</span>}
          </div>
        </form>
      )}
    </Page>
  );
}
